package dynamodbapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shoaldb/shoal/engine"
	"github.com/shoaldb/shoal/engine/attr"
)

// Options configures New. The zero value works: no authentication, every
// request allowed, region us-east-1.
type Options struct {
	// Credentials authenticates requests (AWS Signature Version 4). nil
	// turns authentication off: any signature, or none, is accepted, as by
	// DynamoDB Local. Set it in production.
	Credentials Credentials
	// Authorizer decides what each principal may do. Default AllowAll.
	Authorizer Authorizer
	// Region names the region in ARNs and stream records. Default
	// "us-east-1". Signatures scoped to any region are accepted.
	Region string
	// MaxBodyBytes caps a request body. Default 16 MiB (DynamoDB's limit).
	MaxBodyBytes int64
	// Clock supplies the time for signature checks. Default time.Now.
	Clock func() time.Time
	// Logger receives internal errors. Default slog.Default().
	Logger *slog.Logger
}

func (o *Options) fill() {
	if o.Authorizer == nil {
		o.Authorizer = AllowAll{}
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 16 << 20
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// The X-Amz-Target prefixes of the two services.
const (
	targetDynamoDB = "DynamoDB_20120810"
	targetStreams  = "DynamoDBStreams_20120810"
)

// Handler serves DynamoDB's JSON protocol (and DynamoDB Streams') over an
// engine. It is safe for concurrent use.
type Handler struct {
	db   *engine.DB
	opts Options
}

// New returns the DynamoDB API handler of db. Mount it at "/" of its own
// listener: SDKs post every request to the endpoint's root.
func New(db *engine.DB, opts Options) *Handler {
	opts.fill()
	return &Handler{db: db, opts: opts}
}

// call is one request being served.
type call struct {
	op        string
	body      []byte
	principal any
	accessKey string
	// capacity is the request's ReturnConsumedCapacity.
	capacity string
}

type opFunc func(h *Handler, ctx context.Context, c *call) (any, error)

var operations = map[string]opFunc{
	"CreateTable":        (*Handler).createTable,
	"DescribeTable":      (*Handler).describeTable,
	"ListTables":         (*Handler).listTables,
	"UpdateTable":        (*Handler).updateTable,
	"DeleteTable":        (*Handler).deleteTable,
	"UpdateTimeToLive":   (*Handler).updateTimeToLive,
	"DescribeTimeToLive": (*Handler).describeTimeToLive,
	"PutItem":            (*Handler).putItem,
	"GetItem":            (*Handler).getItem,
	"UpdateItem":         (*Handler).updateItem,
	"DeleteItem":         (*Handler).deleteItem,
	"Query":              (*Handler).query,
	"Scan":               (*Handler).scan,
	"BatchGetItem":       (*Handler).batchGetItem,
	"BatchWriteItem":     (*Handler).batchWriteItem,
	"TransactWriteItems": (*Handler).transactWriteItems,
	"TransactGetItems":   (*Handler).transactGetItems,
	"DescribeEndpoints":  (*Handler).describeEndpoints,
	"DescribeLimits":     (*Handler).describeLimits,
}

var streamOperations = map[string]opFunc{
	"ListStreams":      (*Handler).listStreams,
	"DescribeStream":   (*Handler).describeStream,
	"GetShardIterator": (*Handler).getShardIterator,
	"GetRecords":       (*Handler).getRecords,
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var err error // the operation's error, for Scoper
	rid := requestID()
	w.Header().Set("X-Amzn-Requestid", rid)
	r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, requestInfo{r.RemoteAddr, rid}))
	if r.Method == http.MethodGet && r.URL.Path == "/" {
		// DynamoDB answers a GET of its root like this; load balancers use it.
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "healthy: dynamodb."+h.opts.Region+".amazonaws.com ")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		h.writeError(w, newError(http.StatusMethodNotAllowed, typeCoral+"UnknownOperationException", "only POST is supported"))
		return
	}
	var body []byte
	body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.writeError(w, newError(http.StatusRequestEntityTooLarge, typeCoral+"RequestEntityTooLargeException", fmt.Sprintf("Request size %d exceeded %d bytes", r.ContentLength, h.opts.MaxBodyBytes)))
			return
		}
		h.writeError(w, serialization("cannot read the request body: "+err.Error()))
		return
	}
	prefix, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	var fn opFunc
	switch prefix {
	case targetDynamoDB:
		fn = operations[op]
	case targetStreams:
		fn = streamOperations[op]
	}
	if fn == nil {
		h.writeError(w, newError(http.StatusBadRequest, typeCoral+"UnknownOperationException", ""))
		return
	}
	c := &call{op: op, body: body}
	if h.opts.Credentials != nil {
		key, principal, aerr := h.authenticate(r, body, h.opts.Clock())
		if aerr != nil {
			if o, ok := h.opts.Credentials.(AuthFailureObserver); ok && r.Header.Get("Authorization") != "" {
				o.AuthFailed(r.Context(), op, aerr)
			}
			h.writeError(w, aerr)
			return
		}
		c.accessKey, c.principal = key, principal
	}
	ctx := r.Context()
	if sc, ok := h.opts.Authorizer.(Scoper); ok {
		var finish func(error)
		ctx, finish = sc.Scope(ctx, c.principal, c.accessKey)
		defer func() { finish(err) }()
	}
	if name := principalName(c); name != "" {
		ctx = engine.WithPrincipal(ctx, name)
	}
	var out any
	out, err = fn(h, ctx, c)
	if err != nil {
		e := asError(err)
		if e.Status >= 500 {
			h.opts.Logger.ErrorContext(ctx, "dynamodb api", "op", op, "err", err)
		}
		h.writeError(w, e)
		return
	}
	h.write(w, http.StatusOK, out)
}

type requestInfoKey struct{}

type requestInfo struct{ remoteAddr, id string }

// RequestInfo returns the client's address (http.Request.RemoteAddr) and
// the request id (the X-Amzn-Requestid response header) of a request's
// context, for Credentials and Authorizer implementations that audit.
func RequestInfo(ctx context.Context) (remoteAddr, requestID string) {
	ri, _ := ctx.Value(requestInfoKey{}).(requestInfo)
	return ri.remoteAddr, ri.id
}

// principalName is the name that change records attribute writes to: the
// principal when it is a string or a fmt.Stringer, else the access key id.
func principalName(c *call) string {
	switch p := c.principal.(type) {
	case string:
		return p
	case fmt.Stringer:
		return p.String()
	}
	return c.accessKey
}

func requestID() string {
	var b [16]byte
	rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

func (h *Handler) write(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		h.opts.Logger.Error("dynamodb api: encode response", "err", err)
		status = http.StatusInternalServerError
		body = []byte(`{"__type":"` + typeDynamoDB + `InternalServerError","message":"cannot encode the response"}`)
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/x-amz-json-1.0")
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	hd.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	w.WriteHeader(status)
	w.Write(body)
}

// errorBody is the JSON of an error response.
type errorBody struct {
	Type                string               `json:"__type"`
	Message             string               `json:"message,omitempty"`
	Item                jsonItem             `json:"Item,omitempty"`
	CancellationReasons []cancellationReason `json:"CancellationReasons,omitempty"`
}

type cancellationReason struct {
	Code    string   `json:"Code"`
	Message string   `json:"Message,omitempty"`
	Item    jsonItem `json:"Item,omitempty"`
}

func (h *Handler) writeError(w http.ResponseWriter, e *Error) {
	b := errorBody{Type: e.Type, Message: e.Message, Item: jsonItem(e.Item)}
	for _, r := range e.Reasons {
		b.CancellationReasons = append(b.CancellationReasons, cancellationReason{Code: r.Code, Message: r.Message, Item: jsonItem(r.Item)})
	}
	h.write(w, e.Status, b)
}

// decode parses the request body into v. Numbers stay exact; a body that
// is not a JSON object of the operation's shape is a SerializationException.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var ae *attr.Error
		var e *Error
		switch {
		case errors.As(err, &e):
			return e
		case errors.As(err, &ae):
			return validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes: " + trimPrefixes(ae.Msg))
		}
		return serialization(serializationMessage(err))
	}
	return nil
}

func serializationMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("Unexpected value type in payload for field %s: %s", te.Field, te.Value)
	}
	return trimPrefixes(err.Error())
}

// jsonItem is an item in DynamoDB JSON, both ways.
type jsonItem attr.Item

// MarshalJSON writes the item in DynamoDB JSON.
func (i jsonItem) MarshalJSON() ([]byte, error) {
	return attr.AppendDynamoJSONItem(nil, attr.Item(i)), nil
}

// UnmarshalJSON reads an item (or a map of expression attribute values,
// which has the same shape).
func (i *jsonItem) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*i = nil
		return nil
	}
	m, err := attr.ParseDynamoJSONItem(b)
	if err != nil {
		return validation(attrMessage(err))
	}
	*i = jsonItem(m)
	return nil
}

// jsonValue is one attribute value in DynamoDB JSON, both ways.
type jsonValue struct{ attr.Value }

// MarshalJSON writes the value in DynamoDB JSON.
func (v jsonValue) MarshalJSON() ([]byte, error) {
	return attr.AppendDynamoJSON(nil, v.Value), nil
}

// UnmarshalJSON reads one attribute value.
func (v *jsonValue) UnmarshalJSON(b []byte) error {
	x, err := attr.ParseDynamoJSON(b)
	if err != nil {
		return validation(attrMessage(err))
	}
	v.Value = x
	return nil
}

func attrMessage(err error) string {
	return "Supplied AttributeValue is invalid: " + trimPrefixes(err.Error())
}

// items converts engine items for a response; never nil, so that an empty
// page is [] as in DynamoDB.
func items(in []attr.Item) []jsonItem {
	out := make([]jsonItem, len(in))
	for i, it := range in {
		out[i] = jsonItem(it)
	}
	return out
}

// authorize asks the Authorizer about an access and returns the
// restriction to hand to the engine.
func (h *Handler) authorize(ctx context.Context, c *call, a *Access) (*engine.Restriction, error) {
	a.Principal, a.AccessKeyID = c.principal, c.accessKey
	if a.Resource == "" && a.Table != "" {
		a.Resource = h.tableARN(a.Table)
		if a.Index != "" {
			a.Resource += "/index/" + a.Index
		}
	}
	r, err := h.opts.Authorizer.Authorize(ctx, a)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, e
		}
		if engine.CodeOf(err) == engine.CodeAccessDenied {
			return nil, accessDenied(c, a)
		}
		return nil, err
	}
	return r, nil
}

// accessDenied is DynamoDB's AccessDeniedException for an access.
func accessDenied(c *call, a *Access) *Error {
	return newError(http.StatusBadRequest, typeCoral+"AccessDeniedException",
		fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", principalName(c), a.Action, a.Resource))
}

// tableARN is the ARN of a table, in the form DynamoDB gives, with account
// 000000000000.
func (h *Handler) tableARN(table string) string {
	return "arn:aws:dynamodb:" + h.opts.Region + ":000000000000:table/" + table
}
