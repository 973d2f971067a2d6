package resolvers

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// writeResponse must write exactly what gqlgen's transport (json.Marshal)
// writes.
func TestWriteResponseMatchesMarshal(t *testing.T) {
	yes := true
	for _, r := range []*graphql.Response{
		{Data: []byte(`{"item":{"id":"a","n":1.50}}`)},
		{Data: nil},
		{Data: []byte(`{"item":null}`)},
		{Data: []byte(`{"item":{"s":"<b>&amp;</b>"}}`)},
		{Data: []byte(`{"item":{"s":"€ \u2028"}}`)},
		{Data: []byte("{\"item\":{\"s\":\"\u2028\"}}")},
		{Data: []byte(`{"item":null}`), Errors: gqlerror.List{{Message: "x", Extensions: map[string]any{"code": "NOT_FOUND"}}}},
		{Errors: gqlerror.List{{Message: "bad <input>"}}},
		{Data: []byte(`{"a":1}`), Extensions: map[string]any{"k": 1}},
		{Data: []byte(`{"a":1}`), HasNext: &yes, Label: "l"},
		{Data: []byte(`{"a":1}`), Extensions: map[string]any{}},
	} {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		writeResponse(&got, r)
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("got %s, want %s", got.Bytes(), want)
		}
	}
}
