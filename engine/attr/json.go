package attr

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"
)

// Shoal JSON is how items travel in GraphQL. Plain JSON maps onto the
// document types: string→S, number→N (its exact digits, never through
// float64), true/false→BOOL, null→NULL, array→L, object→M. The types JSON
// lacks are single-key objects whose key starts with "$":
//
//	{"$b": "<standard base64>"}        B
//	{"$ss": ["a", "b"]}                SS
//	{"$ns": [1, 2.5]}                  NS (numbers; numeric strings are accepted too)
//	{"$bs": ["<base64>", ...]}         BS
//	{"$m": {"$x": 1}}                  M, escaped: a map whose only key starts with "$"
//
// Any other single-key object whose key starts with "$" is an error, so that
// new tags can be added later without changing the meaning of stored data.

// Tags of Shoal JSON.
const (
	tagB  = "$b"
	tagSS = "$ss"
	tagNS = "$ns"
	tagBS = "$bs"
	tagM  = "$m"
)

// decodeJSON decodes one JSON document with UseNumber, rejecting trailing
// data.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errorf("attr: invalid JSON: " + err.Error())
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errorf("attr: invalid JSON: data after the top-level value")
	}
	return v, nil
}

// ParseJSON parses one Shoal JSON document into a Value. It checks syntax
// and types; DynamoDB's rules (sets non-empty, nesting depth, size) are
// Validate's job.
func ParseJSON(data []byte) (Value, error) {
	v, err := decodeJSON(data)
	if err != nil {
		return nil, err
	}
	return FromJSONValue(v)
}

// ParseItemJSON parses a Shoal JSON object into an item. The top level must
// be a plain object (not a tagged value such as {"$b": "..."}; {"$m": {...}}
// is accepted).
func ParseItemJSON(data []byte) (M, error) {
	v, err := ParseJSON(data)
	if err != nil {
		return nil, err
	}
	m, ok := v.(M)
	if !ok {
		return nil, errorf("attr: an item must be a JSON object, not " + v.Type().String())
	}
	return m, nil
}

// FromJSONValue converts a decoded JSON value to a Value. It takes what
// encoding/json produces with UseNumber — nil, bool, string, json.Number,
// []any, map[string]any — and, for convenience, int, int64 and float64 (a
// float64 becomes the shortest decimal that round-trips, strconv's 'g' -1)
// and Values (returned as they are).
func FromJSONValue(v any) (Value, error) {
	switch v := v.(type) {
	case nil:
		return Null{}, nil
	case bool:
		return Bool(v), nil
	case string:
		return S(v), nil
	case json.Number:
		return ParseNumber(string(v))
	case int:
		return NumberFromInt64(int64(v)), nil
	case int64:
		return NumberFromInt64(v), nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errorf(msgNotNumeric)
		}
		return ParseNumber(strconv.FormatFloat(v, 'g', -1, 64))
	case []any:
		l := make(L, len(v))
		for i, e := range v {
			x, err := FromJSONValue(e)
			if err != nil {
				return nil, err
			}
			l[i] = x
		}
		return l, nil
	case map[string]any:
		if len(v) == 1 {
			for k, e := range v {
				if len(k) > 0 && k[0] == '$' {
					return fromTagged(k, e)
				}
			}
		}
		return fromJSONObject(v)
	case Value:
		return v, nil
	}
	return nil, errorf(fmt.Sprintf("attr: unsupported JSON value of Go type %T", v))
}

func fromJSONObject(v map[string]any) (M, error) {
	m := make(M, len(v))
	for k, e := range v {
		x, err := FromJSONValue(e)
		if err != nil {
			return nil, err
		}
		m[k] = x
	}
	return m, nil
}

func fromTagged(tag string, v any) (Value, error) {
	switch tag {
	case tagB:
		s, ok := v.(string)
		if !ok {
			return nil, errorf(`attr: "$b" takes a base64 string`)
		}
		return decodeBase64(s)
	case tagM:
		o, ok := v.(map[string]any)
		if !ok {
			return nil, errorf(`attr: "$m" takes an object`)
		}
		return fromJSONObject(o)
	case tagSS, tagNS, tagBS:
		a, ok := v.([]any)
		if !ok {
			return nil, errorf("attr: " + strconv.Quote(tag) + " takes an array")
		}
		switch tag {
		case tagSS:
			ss := make(SS, len(a))
			for i, e := range a {
				s, ok := e.(string)
				if !ok {
					return nil, errorf(`attr: "$ss" elements must be strings`)
				}
				ss[i] = s
			}
			return ss, nil
		case tagNS:
			ns := make(NS, len(a))
			for i, e := range a {
				var n Value
				var err error
				if s, ok := e.(string); ok {
					n, err = ParseNumber(s)
				} else {
					n, err = FromJSONValue(e)
				}
				if err != nil {
					return nil, err
				}
				num, ok := n.(Number)
				if !ok {
					return nil, errorf(`attr: "$ns" elements must be numbers`)
				}
				ns[i] = num
			}
			return ns, nil
		default:
			bs := make(BS, len(a))
			for i, e := range a {
				s, ok := e.(string)
				if !ok {
					return nil, errorf(`attr: "$bs" elements must be base64 strings`)
				}
				b, err := decodeBase64(s)
				if err != nil {
					return nil, err
				}
				bs[i] = b
			}
			return bs, nil
		}
	}
	return nil, errorf("attr: unknown type tag " + strconv.Quote(tag) +
		` (a map whose only key starts with "$" is written {"$m": {...}})`)
}

func decodeBase64(s string) (B, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errorf("attr: invalid base64 in a binary value")
	}
	return B(b), nil
}

// AppendJSON appends the compact Shoal JSON text of v to dst and returns the
// extended buffer. Map keys are sorted, so the output is deterministic. A nil
// Value is written as null.
func AppendJSON(dst []byte, v Value) []byte {
	switch v := v.(type) {
	case S:
		return appendString(dst, string(v))
	case Number:
		return v.Append(dst)
	case B:
		dst = append(dst, `{"$b":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, v)
		return append(dst, `"}`...)
	case Bool:
		if v {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case L:
		dst = append(dst, '[')
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendJSON(dst, e)
		}
		return append(dst, ']')
	case M:
		if needsMapEscape(v) {
			dst = append(dst, `{"$m":`...)
			return append(appendJSONObject(dst, v), '}')
		}
		return appendJSONObject(dst, v)
	case SS:
		dst = append(dst, `{"$ss":[`...)
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, e)
		}
		return append(dst, "]}"...)
	case NS:
		dst = append(dst, `{"$ns":[`...)
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = e.Append(dst)
		}
		return append(dst, "]}"...)
	case BS:
		dst = append(dst, `{"$bs":[`...)
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '"')
			dst = base64.StdEncoding.AppendEncode(dst, e)
			dst = append(dst, '"')
		}
		return append(dst, "]}"...)
	}
	return append(dst, "null"...)
}

// needsMapEscape reports whether m would read back as a tagged value.
func needsMapEscape(m M) bool {
	if len(m) != 1 {
		return false
	}
	for k := range m {
		return len(k) > 0 && k[0] == '$'
	}
	return false
}

func appendJSONObject(dst []byte, m M) []byte {
	dst = append(dst, '{')
	var buf [16]string
	for i, k := range sortedKeys(m, buf[:]) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		dst = AppendJSON(dst, m[k])
	}
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 is replaced by
// U+FFFD; U+2028 and U+2029 are escaped for JavaScript's sake; HTML
// characters are not escaped.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// ToJSONValue converts v to the generic form FromJSONValue takes: nil, bool,
// string, json.Number, []any and map[string]any (tagged objects for B, SS, NS
// and BS, {"$m": ...} for a map whose only key starts with "$").
func ToJSONValue(v Value) any {
	switch v := v.(type) {
	case S:
		return string(v)
	case Number:
		return json.Number(v.String())
	case B:
		return map[string]any{tagB: base64.StdEncoding.EncodeToString(v)}
	case Bool:
		return bool(v)
	case L:
		a := make([]any, len(v))
		for i, e := range v {
			a[i] = ToJSONValue(e)
		}
		return a
	case M:
		o := make(map[string]any, len(v))
		for k, e := range v {
			o[k] = ToJSONValue(e)
		}
		if needsMapEscape(v) {
			return map[string]any{tagM: o}
		}
		return o
	case SS:
		a := make([]any, len(v))
		for i, e := range v {
			a[i] = e
		}
		return map[string]any{tagSS: a}
	case NS:
		a := make([]any, len(v))
		for i, e := range v {
			a[i] = json.Number(e.String())
		}
		return map[string]any{tagNS: a}
	case BS:
		a := make([]any, len(v))
		for i, e := range v {
			a[i] = base64.StdEncoding.EncodeToString(e)
		}
		return map[string]any{tagBS: a}
	}
	return nil
}
