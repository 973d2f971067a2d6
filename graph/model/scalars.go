package model

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/shoaldb/shoal/engine/attr"
)

// InputError reports a scalar input that could not be decoded (a malformed
// cursor, a JSON value of the wrong shape). The error presenter reports it
// with the code VALIDATION.
type InputError struct {
	Msg string
}

func (e *InputError) Error() string { return e.Msg }

// JSON is a value of the JSON scalar.
//
// On input it holds the decoded JSON as gqlgen passes it (variables decoded
// with UseNumber, so numbers arrive as json.Number with their exact digits;
// literals in the query text arrive as int64 or float64); whether it is Shoal
// JSON or DynamoDB JSON depends on the operation's typed flag, so it is
// converted by the resolver with ToValue or ToItem.
//
// On output it holds an attribute value and the form to write it in; the
// marshaler writes the bytes of attr.AppendJSON or attr.AppendDynamoJSON, so
// numbers keep their exact digits.
type JSON struct {
	raw any

	value attr.Value
	typed bool
	item  bool // with typed: write an M as a DynamoDB JSON item, not {"M": ...}
}

// NewItem returns the JSON output of an item, in DynamoDB JSON item form
// ({"a": {"S": "x"}}) when typed is true.
func NewItem(m attr.Item, typed bool) JSON {
	return JSON{value: m, typed: typed, item: true}
}

// NewItemPtr is NewItem for nullable fields: nil when m is nil.
func NewItemPtr(m attr.Item, typed bool) *JSON {
	if m == nil {
		return nil
	}
	j := NewItem(m, typed)
	return &j
}

// NewValue returns the JSON output of one value, in DynamoDB JSON form
// ({"S": "x"}) when typed is true.
func NewValue(v attr.Value, typed bool) JSON {
	return JSON{value: v, typed: typed}
}

// NewRaw returns a JSON input holding an already-decoded JSON value, as
// UnmarshalGQLContext would; for tests and for building inputs in Go.
func NewRaw(v any) JSON { return JSON{raw: v} }

// Raw returns the decoded input.
func (j JSON) Raw() any { return j.raw }

// Value returns the output value, nil for an input.
func (j JSON) Value() attr.Value { return j.value }

// ToValue converts an input to an attribute value: from DynamoDB JSON when
// typed is true, from Shoal JSON otherwise.
func (j JSON) ToValue(typed bool) (attr.Value, error) {
	if j.value != nil {
		return j.value, nil
	}
	if typed {
		return attr.FromDynamoJSONValue(j.raw)
	}
	return attr.FromJSONValue(j.raw)
}

// ToItem converts an input to an item (a map of attributes): from a
// DynamoDB JSON item ({"a": {"S": "x"}}) when typed is true, from a Shoal
// JSON object otherwise.
func (j JSON) ToItem(typed bool) (attr.Item, error) {
	if m, ok := j.value.(attr.M); ok {
		return m, nil
	}
	if typed {
		return attr.ItemFromDynamoJSONValue(j.raw)
	}
	v, err := attr.FromJSONValue(j.raw)
	if err != nil {
		return nil, err
	}
	m, ok := v.(attr.M)
	if !ok {
		return nil, &InputError{Msg: "an item must be a JSON object, not " + v.Type().String()}
	}
	return m, nil
}

// ToObject returns an input that must be a JSON object as a map of raw
// values (for maps keyed by names or paths, whose values are converted one
// by one).
func (j JSON) ToObject() (map[string]any, error) {
	o, ok := j.raw.(map[string]any)
	if !ok {
		return nil, &InputError{Msg: fmt.Sprintf("expected a JSON object, got %s", kind(j.raw))}
	}
	return o, nil
}

// UnmarshalGQLContext keeps the decoded value; see JSON.
func (j *JSON) UnmarshalGQLContext(_ context.Context, v any) error {
	*j = JSON{raw: v}
	return nil
}

// MarshalGQLContext writes the value's exact JSON text.
func (j JSON) MarshalGQLContext(_ context.Context, w io.Writer) error {
	if j.value == nil {
		b, err := json.Marshal(j.raw)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	if j.typed && j.item {
		if _, ok := j.value.(attr.M); !ok {
			return errors.New("model: a typed item must be a map")
		}
	}
	// gqlgen marshals a response into a bytes.Buffer: append in place to
	// its spare capacity instead of building a copy to Write.
	if bb, ok := w.(*bytes.Buffer); ok {
		buf := j.AppendJSON(bb.AvailableBuffer())
		_, err := bb.Write(buf) // copies nothing when buf did not grow
		return err
	}
	_, err := w.Write(j.AppendJSON(make([]byte, 0, 128)))
	return err
}

// AppendJSON appends the JSON text that MarshalGQLContext writes; for
// error extensions (as json.RawMessage).
func (j JSON) AppendJSON(dst []byte) []byte {
	switch {
	case j.value == nil:
		b, _ := json.Marshal(j.raw)
		return append(dst, b...)
	case !j.typed:
		return attr.AppendJSON(dst, j.value)
	case j.item:
		if m, ok := j.value.(attr.M); ok {
			return attr.AppendDynamoJSONItem(dst, m)
		}
	}
	return attr.AppendDynamoJSON(dst, j.value)
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case json.Number, int, int64, float64:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// Cursor is a value of the Cursor scalar: opaque bytes, written as
// unpadded base64url text.
type Cursor []byte

// UnmarshalGQLContext decodes a cursor; a malformed one is an *InputError.
func (c *Cursor) UnmarshalGQLContext(_ context.Context, v any) error {
	s, ok := v.(string)
	if !ok {
		return &InputError{Msg: "a cursor must be a string"}
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return &InputError{Msg: "malformed cursor"}
	}
	*c = b
	return nil
}

// MarshalGQLContext writes the cursor as a JSON string.
func (c Cursor) MarshalGQLContext(_ context.Context, w io.Writer) error {
	buf := make([]byte, 0, 2+base64.RawURLEncoding.EncodedLen(len(c)))
	buf = append(buf, '"')
	buf = base64.RawURLEncoding.AppendEncode(buf, c)
	buf = append(buf, '"')
	_, err := w.Write(buf)
	return err
}

// String returns the cursor's text form.
func (c Cursor) String() string { return base64.RawURLEncoding.EncodeToString(c) }
