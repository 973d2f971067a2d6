package resolvers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// postTransport is gqlgen's transport.POST (with its zero configuration)
// except for how it writes the response: gqlgen passes every response to
// json.Marshal, which re-scans and re-compacts the already compact "data"
// text byte by byte (15 % of the server's CPU for a 100-item query page).
// writeResponse writes {"data":…} around the executor's bytes directly
// when the result would be the same bytes, and falls back to json.Marshal
// otherwise, so the output is byte-for-byte what transport.POST writes.
type postTransport struct {
	transport.POST
}

var _ graphql.Transport = postTransport{}

var paramsPool = sync.Pool{New: func() any { return new(graphql.RawParams) }}

// Do serves one POST request; it follows transport.POST.Do step by step.
func (h postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	contentType := responseContentType(r)
	w.Header().Add("Content-Type", contentType)

	params := paramsPool.Get().(*graphql.RawParams)
	defer func() {
		*params = graphql.RawParams{}
		paramsPool.Put(params)
	}()
	start := graphql.Now()

	body, err := io.ReadAll(r.Body)
	if err != nil {
		gqlErr := gqlerror.Errorf("could not read request body: %+v", err)
		writeResponse(w, exec.DispatchError(ctx, gqlerror.List{gqlErr}))
		return
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(params); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		gqlErr := gqlerror.Errorf("json request body could not be decoded: %+v body:%s", err, string(body))
		writeResponse(w, exec.DispatchError(ctx, gqlerror.List{gqlErr}))
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}

	rc, opErr := exec.CreateOperationContext(ctx, params)
	if opErr != nil {
		status := http.StatusOK
		if errcode.GetErrorKind(opErr) == errcode.KindProtocol {
			status = http.StatusUnprocessableEntity
			if contentType == graphqlResponseJSON {
				status = http.StatusBadRequest
			}
		}
		w.WriteHeader(status)
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, rc), opErr))
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	writeResponse(w, responses(ctx))
}

const graphqlResponseJSON = "application/graphql-response+json"

// responseContentType is transport.POST's choice of Content-Type from the
// Accept header (without UseGrapQLResponseJsonByDefault).
func responseContentType(r *http.Request) string {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return "application/json"
	}
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mediaType {
		case "*/*", "application/*", "application/json":
			return "application/json"
		case graphqlResponseJSON:
			return graphqlResponseJSON
		}
	}
	return graphqlResponseJSON
}

var respBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// writeResponse writes resp as json.Marshal would. A response of data alone
// (the common case; the fields that Marshal omits when empty are empty) is {"data":<data>}; json.Marshal would write the same
// bytes because the executor's data is compact JSON in which nothing needs
// escaping: Marshal's HTML escaping rewrites only '<', '>', '&' and U+2028
// and U+2029 (whose UTF-8 starts with 0xE2), so data holding any of those
// bytes, and every other response (errors, extensions, incremental
// delivery), goes through json.Marshal.
func writeResponse(w io.Writer, resp *graphql.Response) {
	if resp != nil && len(resp.Errors) == 0 && resp.Label == "" && len(resp.Path) == 0 &&
		resp.HasNext == nil && len(resp.Extensions) == 0 && plainJSON(resp.Data) {
		bp := respBufPool.Get().(*[]byte)
		b := append((*bp)[:0], `{"data":`...)
		if resp.Data == nil {
			b = append(b, "null"...)
		} else {
			b = append(b, resp.Data...)
		}
		b = append(b, '}')
		_, _ = w.Write(b)
		if cap(b) <= 64<<10 {
			*bp = b
			respBufPool.Put(bp)
		}
		return
	}
	b, err := json.Marshal(resp)
	if err != nil {
		panic(fmt.Errorf("unable to marshal %s: %w", string(resp.Data), err))
	}
	_, _ = w.Write(b)
}

// plainJSON reports whether json.Marshal would copy data unchanged, given
// that it is compact, valid JSON (the executor writes it so: gqlgen's
// writers and our scalars emit no insignificant whitespace): it holds no
// byte that HTML escaping rewrites. Four IndexByte scans cost a few
// percent of Marshal's byte-at-a-time compaction.
func plainJSON(data []byte) bool {
	return bytes.IndexByte(data, '<') < 0 && bytes.IndexByte(data, '>') < 0 &&
		bytes.IndexByte(data, '&') < 0 && bytes.IndexByte(data, 0xE2) < 0
}
