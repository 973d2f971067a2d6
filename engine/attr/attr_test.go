package attr

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// sample returns one value of every type, nested.
func sample(t testing.TB) M {
	return M{
		"s":     S("héllo \"wörld\"\n\x01<>&\u2028"),
		"empty": S(""),
		"n":     num(t, "-123.45"),
		"zero":  Number{},
		"big":   num(t, "9.9999999999999999999999999999999999999E+125"),
		"tiny":  num(t, "1E-130"),
		"b":     B{0, 1, 2, 255},
		"eb":    B{},
		"t":     Bool(true),
		"f":     Bool(false),
		"null":  Null{},
		"l":     L{S("a"), NumberFromInt64(1), L{}, M{}, Null{}},
		"m":     M{"x": M{"y": L{Bool(true)}}, "": S("empty key")},
		"dm":    M{"$weird": S("needs escaping")},
		"dm2":   M{"$b": S("looks like a tag")},
		"ss":    SS{"b", "a", ""},
		"ns":    NS{NumberFromInt64(3), num(t, "0.5"), num(t, "-1e-100")},
		"bs":    BS{{1}, {}, {2, 3}},
	}
}

func TestEqual(t *testing.T) {
	a := sample(t)
	require.True(t, Equal(a, sample(t)))
	require.True(t, Equal(num(t, "1.0"), num(t, "1")))
	require.True(t, Equal(SS{"a", "b"}, SS{"b", "a"}))
	require.True(t, Equal(NS{num(t, "1"), num(t, "2.0")}, NS{num(t, "2"), num(t, "1.00")}))
	require.True(t, Equal(BS{{1}, {2}}, BS{{2}, {1}}))
	require.True(t, Equal(B(nil), B{}))
	require.True(t, Equal(L(nil), L{}))
	require.True(t, Equal(nil, nil))

	require.False(t, Equal(L{S("a"), S("b")}, L{S("b"), S("a")}), "lists are ordered")
	require.False(t, Equal(S("1"), NumberFromInt64(1)))
	require.False(t, Equal(SS{"a", "a"}, SS{"a", "b"}))
	require.False(t, Equal(SS{"a"}, SS{"a", "b"}))
	require.False(t, Equal(M{"a": Null{}}, M{"b": Null{}}))
	require.False(t, Equal(M{"a": Null{}}, M{"a": Bool(false)}))
	require.False(t, Equal(Bool(true), Bool(false)))
	require.False(t, Equal(S("a"), nil))
	require.False(t, Equal(B{1}, BS{{1}}))

	// Large sets take the map path.
	var x, y SS
	for i := 0; i < 100; i++ {
		x = append(x, string(rune('a'+i%26))+strings.Repeat("z", i))
		y = append([]string{x[i]}, y...)
	}
	require.True(t, Equal(x, y))
	y[0] = "other"
	require.False(t, Equal(x, y))
}

func TestCompare(t *testing.T) {
	tests := []struct {
		a, b Value
		c    int
		ok   bool
	}{
		{S("a"), S("b"), -1, true},
		{S("b"), S("a"), 1, true},
		{S("a"), S("a"), 0, true},
		{S("Z"), S("a"), -1, true},
		{S("é"), S("z"), 1, true}, // bytewise UTF-8
		{S("a"), S("ab"), -1, true},
		{B{1}, B{1, 0}, -1, true},
		{B{0xff}, B{1}, 1, true},
		{NumberFromInt64(10), NumberFromInt64(9), 1, true},
		{S("1"), NumberFromInt64(1), 0, false},
		{Bool(true), Bool(true), 0, false},
		{L{}, L{}, 0, false},
		{nil, nil, 0, false},
	}
	for _, tt := range tests {
		c, ok := Compare(tt.a, tt.b)
		require.Equal(t, tt.ok, ok, "%v %v", tt.a, tt.b)
		require.Equal(t, tt.c, c, "%v %v", tt.a, tt.b)
	}
}

func TestSize(t *testing.T) {
	tests := []struct {
		name string
		v    Value
		size int
	}{
		{"ascii string", S("abc"), 3},
		{"utf-8 string", S("héllo"), 6},
		{"empty string", S(""), 0},
		{"zero", Number{}, 2},
		{"one digit", NumberFromInt64(7), 2},
		{"two digits", NumberFromInt64(42), 2},
		{"three digits", NumberFromInt64(123), 3},
		{"trailing zeros trimmed", num(t, "1000000"), 2},
		{"leading zeros trimmed", num(t, "0.0001"), 2},
		{"five digits", num(t, "123.45"), 4},
		{"38 digits", num(t, "12345678901234567890123456789012345678"), 20},
		{"binary", B{1, 2, 3}, 3},
		{"bool", Bool(false), 1},
		{"null", Null{}, 1},
		{"empty list", L{}, 3},
		{"empty map", M{}, 3},
		{"list", L{S("a"), NumberFromInt64(1)}, 3 + 2 + 1 + 2},
		{"map", M{"a": S("x"), "bb": Bool(true)}, 3 + 2 + (1 + 1) + (2 + 1)},
		{"nested", M{"m": M{"a": S("x")}}, 3 + 1 + 1 + (3 + 1 + 1 + 1)},
		{"SS", SS{"ab", "c"}, 3},
		{"NS", NS{NumberFromInt64(1), num(t, "123")}, 2 + 3},
		{"BS", BS{{1}, {2, 3}}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.size, Size(tt.v))
		})
	}
	// DynamoDB's example: an item with a 4-byte name "Name" holding "Hello".
	require.Equal(t, 4+5, ItemSize(M{"Name": S("Hello")}))
	require.Equal(t, 0, ItemSize(M{}))
	require.Equal(t, 2+3+5+3, ItemSize(M{"id": S("abc"), "price": num(t, "12.5")}))
}

func TestValidate(t *testing.T) {
	deep := func(n int) Value {
		var v Value = S("x")
		for i := 0; i < n; i++ {
			if i%2 == 0 {
				v = L{v}
			} else {
				v = M{"k": v}
			}
		}
		return v
	}
	require.NoError(t, ValidateItem(sample(t)))
	tests := []struct {
		name string
		v    Value
		msg  string
	}{
		{"nil", nil, msgEmptyValue},
		{"nil in list", L{nil}, msgEmptyValue},
		{"nil in map", M{"a": nil}, msgEmptyValue},
		{"empty SS", SS{}, "string set may not be empty"},
		{"empty NS", NS{}, "number set may not be empty"},
		{"empty BS", BS{}, "binary set may not be empty"},
		{"dup SS", SS{"a", "b", "a"}, "Input collection contains duplicates"},
		{"dup NS", NS{num(t, "1"), num(t, "1.0")}, "Input collection contains duplicates"},
		{"dup BS", BS{{1}, {1}}, "Input collection contains duplicates"},
		{"too deep", deep(MaxDepth + 1), msgNesting},
		{"bad utf-8", S("\xff"), "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.v)
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.msg)
			var ae *Error
			require.ErrorAs(t, err, &ae)
		})
	}
	require.NoError(t, Validate(deep(MaxDepth)))
	require.NoError(t, Validate(SS{"a", "b"}))

	big := make(SS, 1000)
	for i := range big {
		big[i] = strings.Repeat("x", i)
	}
	require.NoError(t, Validate(big))
	big[999] = big[500]
	require.ErrorContains(t, Validate(big), "duplicates")

	// Item size: names count, and the limit is inclusive.
	item := M{"a": S(strings.Repeat("x", MaxItemSize-1))}
	require.Equal(t, MaxItemSize, ItemSize(item))
	require.NoError(t, ValidateItem(item))
	item["b"] = Bool(true)
	require.EqualError(t, ValidateItem(item), msgItemTooLarge)
	require.ErrorContains(t, ValidateItem(M{"": S("x")}), "Empty attribute name")
	require.ErrorContains(t, ValidateItem(M{"a": SS{}}), "may not be empty")
}

func TestJSON(t *testing.T) {
	tests := []struct {
		in   string
		want Value
		out  string // canonical output; in if empty
	}{
		{`"x"`, S("x"), ""},
		{`"a\u00e9\n\"\\\u0001"`, S("aé\n\"\\\x01"), `"aé\n\"\\\u0001"`},
		{`12.50`, num(t, "12.5"), `12.5`},
		{`-0`, Number{}, `0`},
		{`1e2`, NumberFromInt64(100), `100`},
		{`12345678901234567890123456789012345678`, num(t, "12345678901234567890123456789012345678"), ""},
		{`true`, Bool(true), ""},
		{`false`, Bool(false), ""},
		{`null`, Null{}, ""},
		{`[]`, L{}, ""},
		{`{}`, M{}, ""},
		{` [1, "a", [null]] `, L{NumberFromInt64(1), S("a"), L{Null{}}}, `[1,"a",[null]]`},
		{`{"b":1,"a":{"c":[]}}`, M{"a": M{"c": L{}}, "b": NumberFromInt64(1)}, `{"a":{"c":[]},"b":1}`},
		{`{"$b":"AQL/"}`, B{1, 2, 255}, ""},
		{`{"$b":""}`, B{}, ""},
		{`{"$ss":["b","a"]}`, SS{"b", "a"}, ""},
		{`{"$ns":[1,"2.50",-3e-5]}`, NS{NumberFromInt64(1), num(t, "2.5"), num(t, "-0.00003")}, `{"$ns":[1,2.5,-0.00003]}`},
		{`{"$bs":["AQ==",""]}`, BS{{1}, {}}, ""},
		{`{"$m":{"$x":1}}`, M{"$x": NumberFromInt64(1)}, ""},
		{`{"$m":{"$b":"x"}}`, M{"$b": S("x")}, ""},
		{`{"$m":{"a":1}}`, M{"a": NumberFromInt64(1)}, `{"a":1}`},
		{`{"$m":{}}`, M{}, `{}`},
		{`{"$x":1,"y":2}`, M{"$x": NumberFromInt64(1), "y": NumberFromInt64(2)}, ""},
		{`{"a$":1}`, M{"a$": NumberFromInt64(1)}, ""},
		{`"\u2028"`, S("\u2028"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v, err := ParseJSON([]byte(tt.in))
			require.NoError(t, err)
			require.True(t, Equal(tt.want, v), "got %#v", v)
			out := tt.out
			if out == "" {
				out = tt.in
			}
			require.Equal(t, out, string(AppendJSON(nil, v)))
			// The generic form agrees with the text form.
			g := ToJSONValue(v)
			text, err := json.Marshal(g)
			require.NoError(t, err)
			v2, err := ParseJSON(text)
			require.NoError(t, err)
			require.True(t, Equal(v, v2))
			v3, err := FromJSONValue(g)
			require.NoError(t, err)
			require.True(t, Equal(v, v3))
		})
	}
}

func TestJSONErrors(t *testing.T) {
	tests := []struct{ in, msg string }{
		{``, "invalid JSON"},
		{`{`, "invalid JSON"},
		{`1 2`, "data after"},
		{`{"a":1}x`, "data after"},
		{`1e200`, msgOverflow},
		{`123456789012345678901234567890123456789`, msgPrecision},
		{`{"$x":1}`, `unknown type tag "$x"`},
		{`{"$":1}`, `unknown type tag "$"`},
		{`{"$b":1}`, `"$b" takes a base64 string`},
		{`{"$b":"!!"}`, "invalid base64"},
		{`{"$ss":"a"}`, `"$ss" takes an array`},
		{`{"$ss":[1]}`, `"$ss" elements must be strings`},
		{`{"$ns":["x"]}`, msgNotNumeric},
		{`{"$ns":[true]}`, `"$ns" elements must be numbers`},
		{`{"$bs":[1]}`, `"$bs" elements must be base64`},
		{`{"$m":[]}`, `"$m" takes an object`},
		{`[{"$nope":null}]`, "unknown type tag"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseJSON([]byte(tt.in))
			require.ErrorContains(t, err, tt.msg)
			var ae *Error
			require.ErrorAs(t, err, &ae)
		})
	}
	_, err := ParseItemJSON([]byte(`[1]`))
	require.ErrorContains(t, err, "item must be a JSON object")
	_, err = ParseItemJSON([]byte(`{"$b":"AA=="}`))
	require.ErrorContains(t, err, "item must be a JSON object")

	for _, v := range []any{1, int64(-5), 2.5, 1e300} {
		_, err := FromJSONValue(v)
		if v == 1e300 {
			require.ErrorContains(t, err, msgOverflow)
		} else {
			require.NoError(t, err)
		}
	}
	got, err := FromJSONValue(0.1)
	require.NoError(t, err)
	require.Equal(t, "0.1", got.(Number).String())
	_, err = FromJSONValue(struct{}{})
	require.ErrorContains(t, err, "unsupported JSON value")
}

func TestJSONInvalidUTF8(t *testing.T) {
	require.Equal(t, `"a\ufffdb"`, string(AppendJSON(nil, S("a\xffb"))))
	require.True(t, json.Valid(AppendJSON(nil, S("\xed\xa0\x80"))))
}

func TestDynamoJSON(t *testing.T) {
	tests := []struct {
		in   string
		want Value
		out  string
	}{
		{`{"S":"x"}`, S("x"), ""},
		{`{"N":"1.50"}`, num(t, "1.5"), `{"N":"1.5"}`},
		{`{"N":"-0"}`, Number{}, `{"N":"0"}`},
		{`{"B":"AQL/"}`, B{1, 2, 255}, ""},
		{`{"BOOL":true}`, Bool(true), ""},
		{`{"BOOL":false}`, Bool(false), ""},
		{`{"NULL":true}`, Null{}, ""},
		{`{"L":[{"S":"a"},{"N":"1"}]}`, L{S("a"), NumberFromInt64(1)}, ""},
		{`{"L":[]}`, L{}, ""},
		{`{"M":{"b":{"S":"x"},"a":{"M":{}}}}`, M{"a": M{}, "b": S("x")}, `{"M":{"a":{"M":{}},"b":{"S":"x"}}}`},
		{`{"M":{"$b":{"S":"x"}}}`, M{"$b": S("x")}, ""},
		{`{"SS":["a","b"]}`, SS{"a", "b"}, ""},
		{`{"NS":["1","2.0"]}`, NS{NumberFromInt64(1), NumberFromInt64(2)}, `{"NS":["1","2"]}`},
		{`{"BS":["AQ==","Ag=="]}`, BS{{1}, {2}}, ""},
		{`{"S":"x","N":null}`, S("x"), `{"S":"x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v, err := ParseDynamoJSON([]byte(tt.in))
			require.NoError(t, err)
			require.True(t, Equal(tt.want, v), "got %#v", v)
			out := tt.out
			if out == "" {
				out = tt.in
			}
			require.Equal(t, out, string(AppendDynamoJSON(nil, v)))
			text, err := json.Marshal(ToDynamoJSONValue(v))
			require.NoError(t, err)
			require.JSONEq(t, out, string(text))
		})
	}

	item := sample(t)
	text := AppendDynamoJSONItem(nil, item)
	back, err := ParseDynamoJSONItem(text)
	require.NoError(t, err)
	require.True(t, Equal(item, back))
	var g any
	d := json.NewDecoder(bytes.NewReader(text))
	d.UseNumber()
	require.NoError(t, d.Decode(&g))
	back, err = ItemFromDynamoJSONValue(g)
	require.NoError(t, err)
	require.True(t, Equal(item, back))
	require.True(t, Equal(item, M(mustItem(t, ToDynamoJSONItem(item)))))
}

func mustItem(t *testing.T, g map[string]any) M {
	m, err := ItemFromDynamoJSONValue(g)
	require.NoError(t, err)
	return m
}

func TestDynamoJSONErrors(t *testing.T) {
	tests := []struct{ in, msg string }{
		{`{}`, msgEmptyValue},
		{`{"S":null}`, msgEmptyValue},
		{`{"S":"x","N":"1"}`, msgMoreThanOneType},
		{`{"X":"1"}`, `unknown AttributeValue data type "X"`},
		{`{"S":1}`, "S takes a string, not a number"},
		{`{"N":1}`, "NUMBER_VALUE cannot be converted to String"},
		{`{"N":"abc"}`, msgNotNumeric + ": abc"},
		{`{"N":"1e126"}`, msgOverflow},
		{`{"B":"%%"}`, "invalid base64"},
		{`{"BOOL":"true"}`, "BOOL takes true or false"},
		{`{"NULL":false}`, "Null attribute value types must have the value of true"},
		{`{"NULL":"x"}`, "NULL takes true"},
		{`{"L":{}}`, "L takes an array"},
		{`{"L":[1]}`, "an AttributeValue must be a JSON object"},
		{`{"M":[]}`, "M takes an object"},
		{`{"M":{"a":"x"}}`, "an AttributeValue must be a JSON object"},
		{`{"SS":[1]}`, "SS takes an array of strings"},
		{`{"NS":[1]}`, "NUMBER_VALUE cannot be converted to String"},
		{`{"NS":["x"]}`, msgNotNumeric},
		{`{"BS":["!"]}`, "invalid base64"},
		{`{"SS":"a"}`, "SS takes an array"},
		{`"x"`, "an AttributeValue must be a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseDynamoJSON([]byte(tt.in))
			require.ErrorContains(t, err, tt.msg)
			var ae *Error
			require.ErrorAs(t, err, &ae)
		})
	}
	_, err := ParseDynamoJSONItem([]byte(`[]`))
	require.ErrorContains(t, err, "item must be a JSON object")
}

func TestBinary(t *testing.T) {
	item := sample(t)
	for k, v := range item {
		t.Run(k, func(t *testing.T) {
			enc := AppendBinary([]byte{0xAA}, v)[1:]
			got, n, err := DecodeBinary(append(enc, 0xBB))
			require.NoError(t, err)
			require.Equal(t, len(enc), n)
			require.True(t, Equal(v, got), "got %#v", got)
			require.Equal(t, enc, AppendBinary(nil, got), "re-encoding is identical")
		})
	}
	enc := EncodeItem(nil, item)
	require.Equal(t, byte(itemFormat), enc[0])
	back, err := DecodeItem(enc)
	require.NoError(t, err)
	require.True(t, Equal(item, back))
	require.Equal(t, enc, EncodeItem(nil, back), "deterministic")

	// Decoded values do not alias the input buffer.
	v := M{"b": B{1, 2, 3}, "s": S("abc"), "bs": BS{{4}}, "ss": SS{"x"}}
	buf := EncodeItem(nil, v)
	got, err := DecodeItem(buf)
	require.NoError(t, err)
	for i := range buf {
		buf[i] = 0
	}
	require.True(t, Equal(v, got))

	// Numbers take few bytes.
	require.Len(t, AppendBinary(nil, NumberFromInt64(42)), 4)
	require.Len(t, AppendBinary(nil, Number{}), 2)
	require.Len(t, AppendBinary(nil, num(t, "12345678901234567890123456789012345678")), 22)
}

func TestBinaryCorrupt(t *testing.T) {
	good := EncodeItem(nil, sample(t))
	for i := 0; i < len(good); i++ {
		_, err := DecodeItem(good[:i])
		require.Error(t, err, "truncated at %d", i)
	}
	_, err := DecodeItem(append(good, 0))
	require.Error(t, err, "trailing byte")
	bad := [][]byte{
		{},
		{0},
		{99},
		{byte(TypeS), 5, 'a'},
		{byte(TypeS), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		{byte(TypeL), 0xff, 0xff, 0xff, 0x7f},
		{byte(TypeBOOL), 2},
		{byte(TypeN), 1},                                                 // negative zero
		{byte(TypeN), 2, 0, 0x00},                                        // leading zero digit
		{byte(TypeN), 4, 0, 0x10},                                        // trailing zero digit
		{byte(TypeN), 2, 0, 0x11},                                        // nonzero padding nibble
		{byte(TypeN), 2, 0, 0xA0},                                        // not a digit
		{byte(TypeN), 39 << 1, 0},                                        // too many digits
		{byte(TypeM), 2, 1, 'b', byte(TypeNULL), 1, 'a', byte(TypeNULL)}, // keys out of order
		{byte(TypeM), 2, 1, 'a', byte(TypeNULL), 1, 'a', byte(TypeNULL)}, // duplicate key
	}
	for _, b := range bad {
		_, _, err := DecodeBinary(b)
		require.Error(t, err, "%x", b)
		var ae *Error
		require.ErrorAs(t, err, &ae)
	}
	deep := bytes.Repeat([]byte{byte(TypeL), 1}, 10000)
	_, _, err = DecodeBinary(append(deep, byte(TypeNULL)))
	require.Error(t, err)
	_, err = DecodeItem([]byte{2, 0})
	require.Error(t, err, "unknown format")
}

func FuzzJSONRoundTrip(f *testing.F) {
	f.Add(AppendJSON(nil, sample(f)))
	for _, s := range []string{`1`, `"x"`, `[1,[2,{"a":null}]]`, `{"$m":{"$x":{"$b":"AA=="}}}`, `{"$ns":[1,2]}`, `{"$bs":[""]}`, `{"$ss":[]}`, `-0.0e-5`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ParseJSON(data)
		if err != nil {
			return
		}
		out := AppendJSON(nil, v)
		require.True(t, json.Valid(out), "%s", out)
		v2, err := ParseJSON(out)
		require.NoError(t, err, "%s", out)
		require.True(t, Equal(v, v2), "%s", out)
		require.Equal(t, out, AppendJSON(nil, v2), "output is canonical")
	})
}

func FuzzDynamoJSONRoundTrip(f *testing.F) {
	f.Add(AppendDynamoJSON(nil, sample(f)))
	for _, s := range []string{`{"S":"x"}`, `{"N":"1e5"}`, `{"L":[{"NULL":true},{"BOOL":false}]}`, `{"NS":["1","2"]}`, `{"BS":["AA=="]}`, `{"B":""}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ParseDynamoJSON(data)
		if err != nil {
			return
		}
		out := AppendDynamoJSON(nil, v)
		v2, err := ParseDynamoJSON(out)
		require.NoError(t, err, "%s", out)
		require.True(t, Equal(v, v2), "%s", out)
		require.Equal(t, out, AppendDynamoJSON(nil, v2))
	})
}

func FuzzBinaryRoundTrip(f *testing.F) {
	f.Add(AppendBinary(nil, sample(f)))
	f.Add(EncodeItem(nil, sample(f)))
	for _, v := range []Value{S("x"), NumberFromInt64(-5), Null{}, L{Bool(true)}, NS{NumberFromInt64(1)}, BS{{}}} {
		f.Add(AppendBinary(nil, v))
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		if m, err := DecodeItem(data); err == nil {
			require.Equal(t, data, EncodeItem(nil, m), "items decode only from canonical bytes")
		}
		v, n, err := DecodeBinary(data)
		if err != nil {
			return
		}
		require.LessOrEqual(t, n, len(data))
		enc := AppendBinary(nil, v)
		require.Equal(t, data[:n], enc, "values decode only from canonical bytes")
		v2, n2, err := DecodeBinary(enc)
		require.NoError(t, err)
		require.Equal(t, len(enc), n2)
		require.True(t, Equal(v, v2))
		// The JSON forms can carry whatever the binary form holds.
		j, err := ParseJSON(AppendJSON(nil, v))
		if utf8Clean(v) {
			require.NoError(t, err)
			require.True(t, Equal(v, j))
		}
		d, err := ParseDynamoJSON(AppendDynamoJSON(nil, v))
		if utf8Clean(v) {
			require.NoError(t, err)
			require.True(t, Equal(v, d))
		}
	})
}

// utf8Clean reports whether every string in v is valid UTF-8 (JSON cannot
// carry anything else).
func utf8Clean(v Value) bool {
	return Validate(v) == nil || !strings.Contains(Validate(v).Error(), "UTF-8")
}

// typicalItem is a 10-attribute item such as an application stores.
func typicalItem(t testing.TB) M {
	return M{
		"pk":      S("USER#8f14e45f-ceea-467f-a0e6-4f6f8a2f3b1c"),
		"sk":      S("PROFILE"),
		"name":    S("Ada Lovelace"),
		"email":   S("ada@example.com"),
		"age":     NumberFromInt64(36),
		"balance": num(t, "1234.56"),
		"active":  Bool(true),
		"tags":    SS{"admin", "beta", "math"},
		"address": M{"street": S("12 St James's Square"), "city": S("London"), "zip": S("SW1Y 4JH")},
		"logins":  L{NumberFromInt64(1700000000), NumberFromInt64(1700003600), NumberFromInt64(1700007200)},
	}
}

func BenchmarkEncodeItem(b *testing.B) {
	item := typicalItem(b)
	buf := EncodeItem(nil, item)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = EncodeItem(buf[:0], item)
	}
}

func BenchmarkDecodeItem(b *testing.B) {
	buf := EncodeItem(nil, typicalItem(b))
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeItem(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	item := typicalItem(b)
	buf := AppendJSON(nil, item)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendJSON(buf[:0], item)
	}
}

func BenchmarkParseItemJSON(b *testing.B) {
	buf := AppendJSON(nil, typicalItem(b))
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseItemJSON(buf); err != nil {
			b.Fatal(err)
		}
	}
}
