package attr

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
)

// DynamoDB JSON is the typed form of DynamoDB's API: every value is an
// object with exactly one type descriptor key:
//
//	{"S": "x"} {"N": "1.5"} {"B": "<base64>"} {"BOOL": true} {"NULL": true}
//	{"L": [...]} {"M": {...}} {"SS": ["a"]} {"NS": ["1"]} {"BS": ["<base64>"]}
//
// Numbers are JSON strings, as in DynamoDB. A descriptor whose value is JSON
// null counts as absent, as in DynamoDB. The parsers check the form; sets
// being non-empty and duplicate-free, nesting and size are Validate's job.

// ParseDynamoJSON parses one DynamoDB JSON value, such as {"S": "x"}.
func ParseDynamoJSON(data []byte) (Value, error) {
	v, err := decodeJSON(data)
	if err != nil {
		return nil, err
	}
	return FromDynamoJSONValue(v)
}

// ParseDynamoJSONItem parses a DynamoDB JSON item, {"attr": {"S": "x"}, ...}.
func ParseDynamoJSONItem(data []byte) (M, error) {
	v, err := decodeJSON(data)
	if err != nil {
		return nil, err
	}
	return ItemFromDynamoJSONValue(v)
}

// ItemFromDynamoJSONValue converts a decoded DynamoDB JSON item (a
// map[string]any of attribute values) to an M.
func ItemFromDynamoJSONValue(v any) (M, error) {
	o, ok := v.(map[string]any)
	if !ok {
		return nil, errorf("attr: an item must be a JSON object")
	}
	return dynamoObject(o)
}

func dynamoObject(o map[string]any) (M, error) {
	m := make(M, len(o))
	for k, e := range o {
		x, err := FromDynamoJSONValue(e)
		if err != nil {
			return nil, err
		}
		m[k] = x
	}
	return m, nil
}

// FromDynamoJSONValue converts one decoded DynamoDB JSON value (a
// map[string]any from encoding/json, decoded with UseNumber) to a Value.
func FromDynamoJSONValue(v any) (Value, error) {
	o, ok := v.(map[string]any)
	if !ok {
		return nil, errorf(fmt.Sprintf("attr: an AttributeValue must be a JSON object, not %s", jsonKind(v)))
	}
	var tag string
	var val any
	n := 0
	for k, e := range o {
		if e == nil {
			continue
		}
		tag, val = k, e
		n++
	}
	switch {
	case n == 0:
		return nil, errorf(msgInvalidParams + msgEmptyValue)
	case n > 1:
		return nil, errorf(msgInvalidParams + msgMoreThanOneType)
	}
	switch tag {
	case "S":
		s, ok := val.(string)
		if !ok {
			return nil, wrongKind(tag, "a string", val)
		}
		return S(s), nil
	case "N":
		s, ok := val.(string)
		if !ok {
			if _, isNum := val.(json.Number); isNum {
				return nil, errorf("NUMBER_VALUE cannot be converted to String")
			}
			return nil, wrongKind(tag, "a string", val)
		}
		return ParseNumber(s)
	case "B":
		s, ok := val.(string)
		if !ok {
			return nil, wrongKind(tag, "a base64 string", val)
		}
		return decodeBase64(s)
	case "BOOL":
		b, ok := val.(bool)
		if !ok {
			return nil, wrongKind(tag, "true or false", val)
		}
		return Bool(b), nil
	case "NULL":
		b, ok := val.(bool)
		if !ok {
			return nil, wrongKind(tag, "true", val)
		}
		if !b {
			return nil, errorf(msgInvalidParams + "Null attribute value types must have the value of true")
		}
		return Null{}, nil
	case "L":
		a, ok := val.([]any)
		if !ok {
			return nil, wrongKind(tag, "an array", val)
		}
		l := make(L, len(a))
		for i, e := range a {
			x, err := FromDynamoJSONValue(e)
			if err != nil {
				return nil, err
			}
			l[i] = x
		}
		return l, nil
	case "M":
		m, ok := val.(map[string]any)
		if !ok {
			return nil, wrongKind(tag, "an object", val)
		}
		return dynamoObject(m)
	case "SS", "NS", "BS":
		a, ok := val.([]any)
		if !ok {
			return nil, wrongKind(tag, "an array", val)
		}
		switch tag {
		case "SS":
			ss := make(SS, len(a))
			for i, e := range a {
				s, ok := e.(string)
				if !ok {
					return nil, wrongKind(tag, "an array of strings", e)
				}
				ss[i] = s
			}
			return ss, nil
		case "NS":
			ns := make(NS, len(a))
			for i, e := range a {
				s, ok := e.(string)
				if !ok {
					if _, isNum := e.(json.Number); isNum {
						return nil, errorf("NUMBER_VALUE cannot be converted to String")
					}
					return nil, wrongKind(tag, "an array of strings", e)
				}
				num, err := ParseNumber(s)
				if err != nil {
					return nil, err
				}
				ns[i] = num
			}
			return ns, nil
		default:
			bs := make(BS, len(a))
			for i, e := range a {
				s, ok := e.(string)
				if !ok {
					return nil, wrongKind(tag, "an array of base64 strings", e)
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
	return nil, errorf("attr: unknown AttributeValue data type " + strconv.Quote(tag))
}

func wrongKind(tag, want string, got any) error {
	return errorf(fmt.Sprintf("attr: %s takes %s, not %s", tag, want, jsonKind(got)))
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case json.Number, float64, int, int64:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// AppendDynamoJSON appends the compact DynamoDB JSON text of v to dst and
// returns the extended buffer. Map keys are sorted. A nil Value is written as
// {"NULL":true}.
func AppendDynamoJSON(dst []byte, v Value) []byte {
	switch v := v.(type) {
	case S:
		dst = append(dst, `{"S":`...)
		dst = appendString(dst, string(v))
	case Number:
		dst = append(dst, `{"N":"`...)
		dst = v.Append(dst)
		dst = append(dst, '"')
	case B:
		dst = append(dst, `{"B":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, v)
		dst = append(dst, '"')
	case Bool:
		if v {
			dst = append(dst, `{"BOOL":true`...)
		} else {
			dst = append(dst, `{"BOOL":false`...)
		}
	case L:
		dst = append(dst, `{"L":[`...)
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendDynamoJSON(dst, e)
		}
		dst = append(dst, ']')
	case M:
		dst = append(dst, `{"M":`...)
		dst = AppendDynamoJSONItem(dst, v)
	case SS:
		dst = append(dst, `{"SS":[`...)
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, e)
		}
		dst = append(dst, ']')
	case NS:
		dst = append(dst, `{"NS":[`...)
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '"')
			dst = e.Append(dst)
			dst = append(dst, '"')
		}
		dst = append(dst, ']')
	case BS:
		dst = append(dst, `{"BS":[`...)
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '"')
			dst = base64.StdEncoding.AppendEncode(dst, e)
			dst = append(dst, '"')
		}
		dst = append(dst, ']')
	default:
		dst = append(dst, `{"NULL":true`...)
	}
	return append(dst, '}')
}

// AppendDynamoJSONItem appends the DynamoDB JSON text of the item m,
// {"attr":{"S":"x"},...}, with sorted keys, to dst.
func AppendDynamoJSONItem(dst []byte, m M) []byte {
	dst = append(dst, '{')
	var buf [16]string
	for i, k := range sortedKeys(m, buf[:]) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		dst = AppendDynamoJSON(dst, m[k])
	}
	return append(dst, '}')
}

// ToDynamoJSONValue converts v to the generic DynamoDB JSON form
// FromDynamoJSONValue takes: map[string]any{"S": "x"}, {"N": "1.5"} (numbers
// as strings), and so on.
func ToDynamoJSONValue(v Value) any {
	switch v := v.(type) {
	case S:
		return map[string]any{"S": string(v)}
	case Number:
		return map[string]any{"N": v.String()}
	case B:
		return map[string]any{"B": base64.StdEncoding.EncodeToString(v)}
	case Bool:
		return map[string]any{"BOOL": bool(v)}
	case L:
		a := make([]any, len(v))
		for i, e := range v {
			a[i] = ToDynamoJSONValue(e)
		}
		return map[string]any{"L": a}
	case M:
		return map[string]any{"M": ToDynamoJSONItem(v)}
	case SS:
		a := make([]any, len(v))
		for i, e := range v {
			a[i] = e
		}
		return map[string]any{"SS": a}
	case NS:
		a := make([]any, len(v))
		for i, e := range v {
			a[i] = e.String()
		}
		return map[string]any{"NS": a}
	case BS:
		a := make([]any, len(v))
		for i, e := range v {
			a[i] = base64.StdEncoding.EncodeToString(e)
		}
		return map[string]any{"BS": a}
	}
	return map[string]any{"NULL": true}
}

// ToDynamoJSONItem converts an item to the generic DynamoDB JSON item form,
// map[string]any{"attr": map[string]any{"S": "x"}, ...}.
func ToDynamoJSONItem(m M) map[string]any {
	o := make(map[string]any, len(m))
	for k, e := range m {
		o[k] = ToDynamoJSONValue(e)
	}
	return o
}
