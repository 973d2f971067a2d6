package expr

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/shoaldb/shoal/engine/attr"
)

func n(i int64) attr.Number { return attr.NumberFromInt64(i) }

func TestHandBuiltValidate(t *testing.T) {
	p := Path{{Name: "a"}}
	cases := []struct {
		name string
		c    Condition
		want string
	}{
		{"ok", &And{&Compare{OpEQ, &PathOperand{p}, &ValueOperand{Value: n(1)}}, &Func{Name: FuncAttributeExists, Path: p}}, ""},
		{"nil operand", &Compare{OpEQ, &PathOperand{p}, nil}, "missing operand"},
		{"nil value", &Compare{OpEQ, &PathOperand{p}, &ValueOperand{}}, "no value"},
		{"empty path", &Func{Name: FuncAttributeExists}, "can not be empty"},
		{"index first", &Func{Name: FuncAttributeExists, Path: Path{{IsIndex: true}}}, "must start with an attribute name"},
		{"arity", &Func{Name: FuncBeginsWith, Path: p}, "number of operands: 1"},
		{"bad type", &Func{Name: FuncAttributeType, Path: p, Arg: &ValueOperand{Value: attr.S("X")}}, "Invalid attribute type name"},
		{"unknown func", &Func{Name: "nope", Path: p}, "Invalid function name"},
		{"empty IN", &In{X: &PathOperand{p}}, "IN operator needs 1 to 100"},
		{"update operand", &Compare{OpEQ, &PathOperand{p}, &IfNotExists{Path: p, Value: &ValueOperand{Value: n(1)}}}, "not allowed"},
		{"bad op", &Compare{Op: 42, A: &PathOperand{p}, B: &PathOperand{p}}, "unknown comparator"},
		{"nil and", &And{A: &Func{Name: FuncAttributeExists, Path: p}}, "two operands"},
	}
	deep := make(Path, MaxPathDepth+1)
	for i := range deep {
		deep[i].Name = "x"
	}
	cases = append(cases, struct {
		name string
		c    Condition
		want string
	}{"deep", &Func{Name: FuncAttributeExists, Path: deep}, "too many nesting levels"})
	var many Condition = &Func{Name: FuncAttributeExists, Path: p}
	for i := 0; i < MaxOperators; i++ {
		many = &Not{C: many}
	}
	cases = append(cases, struct {
		name string
		c    Condition
		want string
	}{"too many", many, "too many operators"})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := ValidateCondition(c.c)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var xe *Error
			if !errors.As(err, &xe) || !strings.Contains(err.Error(), c.want) || xe.Pos != -1 {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
	if Eval(nil, nil) != true {
		t.Fatal("nil condition must be true")
	}
}

func TestFormatConditionRoundTrip(t *testing.T) {
	p := &Params{
		Names:  map[string]string{"#s": "status", "#d": "a.b"},
		Values: map[string]attr.Value{":v": n(1), ":s": attr.S("x"), ":t": attr.S("S")},
	}
	for _, text := range []string{
		"#s = :v AND NOT (a < :v OR #d.c[2] >= :v)",
		"a BETWEEN :v AND :v OR b IN (:s, :v) AND size(c) <> :v",
		"attribute_type(#s, :t) AND begins_with(x, :s) AND contains(y, :s) AND attribute_not_exists(z[1])",
	} {
		c, err := p.Condition(text)
		if err != nil {
			t.Fatal(err)
		}
		out, params := FormatConditionParams(c)
		c2, err := params.Condition(out)
		if err != nil {
			t.Fatalf("%s → %s: %v", text, out, err)
		}
		if err := params.CheckUnused(); err != nil {
			t.Fatal(err)
		}
		if out2 := FormatCondition(c2); out2 != out {
			t.Fatalf("%s → %s → %s", text, out, out2)
		}
	}
}

func TestFormatUpdate(t *testing.T) {
	p := &Params{Values: map[string]attr.Value{":v": n(1), ":l": attr.L{}, ":ss": attr.SS{"a"}}}
	u, err := p.Update("SET a = if_not_exists(a, :v) + :v, l = list_append(l, :l) REMOVE b[1] ADD c :v DELETE d :ss")
	if err != nil {
		t.Fatal(err)
	}
	out, params := FormatUpdate(u)
	if want := "SET a = if_not_exists(a, :v0) + :v1, l = list_append(l, :v2) REMOVE b[1] ADD c :v3 DELETE d :v4"; out != want {
		t.Fatalf("got %s", out)
	}
	if _, err := params.Update(out); err != nil {
		t.Fatal(err)
	}
}

func TestCacheConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				p := &Params{Names: map[string]string{"#a": "x"}, Values: map[string]attr.Value{":v": n(int64(i))}}
				c, err := p.Condition("#a = :v")
				if err != nil {
					t.Error(err)
					return
				}
				if !Eval(c, attr.M{"x": n(int64(i))}) {
					t.Error("wrong binding")
					return
				}
			}
		}()
	}
	wg.Wait()
	// The cache stays bounded.
	for i := 0; i < cacheCap+100; i++ {
		if _, err := parseCached("a = :v "+strings.Repeat(" ", i%50)+"OR b = :v"+string(rune('a'+i%26))+strings.Repeat(" ", i/50), kindCondition); err != nil {
			t.Fatal(err)
		}
	}
	if s := cacheSize.Load(); s > cacheCap {
		t.Fatalf("cache size %d > %d", s, cacheCap)
	}
}

func TestInvalidPlaceholderValue(t *testing.T) {
	p := &Params{Values: map[string]attr.Value{":v": attr.SS{}}}
	_, err := p.Condition("a = :v")
	if err == nil || !strings.Contains(err.Error(), "ExpressionAttributeValues contains invalid value") {
		t.Fatalf("got %v", err)
	}
}

func TestUpdatedPathsAndApplySharing(t *testing.T) {
	p := &Params{Values: map[string]attr.Value{":v": n(1)}}
	u, err := p.Update("SET m.a = :v REMOVE x ADD c :v")
	if err != nil {
		t.Fatal(err)
	}
	if got := u.UpdatedPaths().String(); got != "m.a, x, c" {
		t.Fatalf("UpdatedPaths = %s", got)
	}
	inner := attr.M{"a": n(0), "b": n(2)}
	other := attr.L{n(1)}
	item := attr.M{"m": inner, "o": other, "x": n(3)}
	out, err := u.Apply(item)
	if err != nil {
		t.Fatal(err)
	}
	if inner["a"] != n(0) || len(item) != 3 {
		t.Fatal("input modified")
	}
	if &out["o"].(attr.L)[0] != &other[0] {
		t.Fatal("untouched values should be shared, not copied")
	}
}
