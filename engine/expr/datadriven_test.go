package expr

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shoaldb/shoal/engine/attr"
)

// The conformance files under testdata/ hold one case per line:
//
//	<expression> ==> <expected>
//
// Other lines set state used by the cases below them, until changed:
//
//	item: <Shoal JSON object, or "none">
//	names: <JSON object of #name → attribute name>
//	values: <Shoal JSON object of :value → value>
//	keys: <comma-separated key attributes> (update: Update.Validate(keys...))
//	schema: <partition> [<sort>] (keycondition: KeyCondition.ForSchema)
//	strict: on|off (run Params.CheckUnused after parsing)
//
// Blank lines and lines starting with '#' are kept as they are. Expected
// output is the result (condition: true/false; update and projection: the
// item in Shoal JSON, keys sorted; keycondition: its fields) or "error: "
// followed by a substring of the error message. go test -rewrite rewrites
// every expected output with the current results (full error messages).
var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of testdata files")

func TestConformance(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	must(t, err)
	check(t, len(files) > 0, "no testdata files")
	total := 0
	for _, file := range files {
		kind := strings.TrimSuffix(filepath.Base(file), ".txt")
		t.Run(kind, func(t *testing.T) {
			total += runFile(t, file, kind)
		})
	}
	t.Logf("%d conformance cases", total)
}

type ddState struct {
	item   attr.M
	names  map[string]string
	values map[string]attr.Value
	keys   []string
	schema []string
	strict bool
}

func runFile(t *testing.T, file, kind string) int {
	data, err := os.ReadFile(file)
	must(t, err)
	var out bytes.Buffer
	st := &ddState{}
	cases := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	lineNo := 0
	for sc.Scan() {
		line := sc.Text()
		lineNo++
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			out.WriteString(line + "\n")
			continue
		}
		exprText, want, isCase := strings.Cut(line, " ==> ")
		if !isCase {
			if strings.HasSuffix(line, " ==>") {
				exprText, want, isCase = strings.TrimSuffix(line, " ==>"), "", true
			}
		}
		if !isCase {
			setState(t, st, file, lineNo, line)
			out.WriteString(line + "\n")
			continue
		}
		cases++
		got := runCase(t, st, kind, unescape(exprText))
		if *rewrite {
			out.WriteString(exprText + " ==> " + got + "\n")
			continue
		}
		out.WriteString(line + "\n")
		if w, ok := strings.CutPrefix(want, "error: "); ok {
			if g, ok := strings.CutPrefix(got, "error: "); !ok || !strings.Contains(g, w) {
				t.Errorf("%s:%d: %s\n got: %s\nwant: %s", file, lineNo, exprText, got, want)
			}
		} else if got != want {
			t.Errorf("%s:%d: %s\n got: %s\nwant: %s", file, lineNo, exprText, got, want)
		}
	}
	must(t, sc.Err())
	if *rewrite {
		must(t, os.WriteFile(file, out.Bytes(), 0o644))
	}
	return cases
}

// unescape lets a case spell long inputs: {repeat N text} expands to text
// repeated N times.
func unescape(s string) string {
	for {
		i := strings.Index(s, "{repeat ")
		if i < 0 {
			return s
		}
		j := strings.Index(s[i:], "}")
		if j < 0 {
			return s
		}
		spec := s[i+len("{repeat ") : i+j]
		nStr, text, _ := strings.Cut(spec, " ")
		n, _ := strconv.Atoi(nStr)
		s = s[:i] + strings.Repeat(text, n) + s[i+j+1:]
	}
}

func setState(t *testing.T, st *ddState, file string, lineNo int, line string) {
	key, val, ok := strings.Cut(line, ":")
	check(t, ok, "%s:%d: bad line %q", file, lineNo, line)
	val = strings.TrimSpace(val)
	switch key {
	case "item":
		if val == "none" {
			st.item = nil
			return
		}
		v := mustJSON(t, val)
		m, ok := v.(attr.M)
		check(t, ok, "%s:%d: item must be an object", file, lineNo)
		st.item = m
	case "names":
		st.names = nil
		must(t, json.Unmarshal([]byte(val), &st.names), "%s:%d", file, lineNo)
	case "values":
		v := mustJSON(t, val)
		m, ok := v.(attr.M)
		check(t, ok, "%s:%d: values must be an object", file, lineNo)
		st.values = m
	case "keys":
		st.keys = strings.Split(val, ",")
		if val == "" {
			st.keys = nil
		}
	case "schema":
		st.schema = strings.Fields(val)
	case "strict":
		st.strict = val == "on"
	default:
		t.Fatalf("%s:%d: unknown directive %q", file, lineNo, key)
	}
}

func runCase(t *testing.T, st *ddState, kind, text string) (got string) {
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("panic on %q: %v", text, r)
			got = "panic"
		}
	}()
	p := &Params{Names: st.names, Values: st.values}
	before := render(st.item)
	var res string
	var err error
	switch kind {
	case "condition":
		var c Condition
		if c, err = p.Condition(text); err == nil {
			res = strconv.FormatBool(Eval(c, st.item))
		}
	case "update":
		var u *Update
		if u, err = p.Update(text); err == nil {
			if err = u.Validate(st.keys...); err == nil {
				var m attr.M
				if m, err = u.Apply(st.item); err == nil {
					res = render(m)
				}
			}
		}
	case "projection":
		var pr Projection
		if pr, err = p.Projection(text); err == nil {
			res = render(pr.Apply(st.item))
		}
	case "keycondition":
		var k *KeyCondition
		if k, err = p.KeyCondition(text); err == nil && st.schema != nil {
			k, err = k.ForSchema(st.schema[0], strings.Join(st.schema[1:], ""))
		}
		if err == nil {
			res = fmt.Sprintf("partition %s = %s", k.PartitionName, render(k.PartitionValue))
			if k.Sort != nil {
				vals := make([]string, len(k.Sort.Values))
				for i, v := range k.Sort.Values {
					vals[i] = render(v)
				}
				res += fmt.Sprintf("; sort %s %s %s", k.Sort.Name, k.Sort.Op, strings.Join(vals, " "))
			}
		}
	default:
		t.Fatalf("unknown kind %q", kind)
	}
	if err == nil && st.strict {
		err = p.CheckUnused()
	}
	if render(st.item) != before {
		t.Errorf("%q modified the input item: %s → %s", text, before, render(st.item))
	}
	if err != nil {
		if _, ok := err.(*Error); !ok {
			t.Errorf("%q: error is %T, not *Error", text, err)
		}
		return "error: " + strings.TrimPrefix(err.Error(), "expr: ")
	}
	return res
}

// mustJSON parses Shoal JSON (test-only: string→S, number→N, bool, null,
// array→L, object→M, and {"$b"}, {"$ss"}, {"$ns"}, {"$bs"}).
func mustJSON(t testing.TB, s string) attr.Value {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var x any
	must(t, d.Decode(&x), "json %s", s)
	v, err := fromJSON(x)
	must(t, err, "json %s", s)
	return v
}

func fromJSON(x any) (attr.Value, error) {
	switch x := x.(type) {
	case nil:
		return attr.Null{}, nil
	case bool:
		return attr.Bool(x), nil
	case string:
		return attr.S(x), nil
	case json.Number:
		return attr.ParseNumber(string(x))
	case []any:
		l := make(attr.L, len(x))
		for i, e := range x {
			v, err := fromJSON(e)
			if err != nil {
				return nil, err
			}
			l[i] = v
		}
		return l, nil
	case map[string]any:
		if len(x) == 1 {
			for k, e := range x {
				switch k {
				case "$b":
					b, err := base64.StdEncoding.DecodeString(e.(string))
					return attr.B(b), err
				case "$ss":
					var ss attr.SS
					for _, s := range e.([]any) {
						ss = append(ss, s.(string))
					}
					return ss, nil
				case "$ns":
					var ns attr.NS
					for _, s := range e.([]any) {
						var n attr.Number
						var err error
						switch s := s.(type) {
						case json.Number:
							n, err = attr.ParseNumber(string(s))
						case string:
							n, err = attr.ParseNumber(s)
						}
						if err != nil {
							return nil, err
						}
						ns = append(ns, n)
					}
					return ns, nil
				case "$bs":
					var bs attr.BS
					for _, s := range e.([]any) {
						b, err := base64.StdEncoding.DecodeString(s.(string))
						if err != nil {
							return nil, err
						}
						bs = append(bs, b)
					}
					return bs, nil
				}
			}
		}
		m := make(attr.M, len(x))
		for k, e := range x {
			v, err := fromJSON(e)
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
		return m, nil
	}
	return nil, fmt.Errorf("unexpected JSON %T", x)
}

// render prints a value as Shoal JSON with map keys sorted.
func render(v attr.Value) string {
	var b strings.Builder
	renderTo(&b, v)
	return b.String()
}

func renderTo(b *strings.Builder, v attr.Value) {
	q := func(s string) { j, _ := json.Marshal(s); b.Write(j) }
	list := func(n int, f func(i int)) {
		b.WriteByte('[')
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			f(i)
		}
		b.WriteByte(']')
	}
	switch v := v.(type) {
	case nil:
		b.WriteString("none")
	case attr.S:
		q(string(v))
	case attr.Number:
		b.WriteString(v.String())
	case attr.B:
		b.WriteString(`{"$b":`)
		q(base64.StdEncoding.EncodeToString(v))
		b.WriteByte('}')
	case attr.Bool:
		b.WriteString(strconv.FormatBool(bool(v)))
	case attr.Null:
		b.WriteString("null")
	case attr.L:
		list(len(v), func(i int) { renderTo(b, v[i]) })
	case attr.M:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			q(k)
			b.WriteByte(':')
			renderTo(b, v[k])
		}
		b.WriteByte('}')
	case attr.SS:
		b.WriteString(`{"$ss":`)
		list(len(v), func(i int) { q(v[i]) })
		b.WriteByte('}')
	case attr.NS:
		b.WriteString(`{"$ns":`)
		list(len(v), func(i int) { b.WriteString(v[i].String()) })
		b.WriteByte('}')
	case attr.BS:
		b.WriteString(`{"$bs":`)
		list(len(v), func(i int) { q(base64.StdEncoding.EncodeToString(v[i])) })
		b.WriteByte('}')
	}
}

// must stops the test on err (testify is not usable here: go.sum lacks its
// dependencies, and this package may not change go.sum).
func must(t testing.TB, err error, msgAndArgs ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%v %s", err, fmtArgs(msgAndArgs))
	}
}

// check stops the test when ok is false.
func check(t testing.TB, ok bool, msgAndArgs ...any) {
	t.Helper()
	if !ok {
		t.Fatalf("check failed: %s", fmtArgs(msgAndArgs))
	}
}

func fmtArgs(a []any) string {
	if len(a) == 0 {
		return ""
	}
	if f, ok := a[0].(string); ok {
		return fmt.Sprintf(f, a[1:]...)
	}
	return fmt.Sprint(a...)
}
