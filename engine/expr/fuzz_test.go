package expr

import (
	"reflect"
	"testing"
)

var fuzzSeeds = map[kind][]string{
	kindCondition: {
		"a = :v", "NOT a.b[1] <> :v AND (c < :w OR #n >= :x)", "a BETWEEN :a AND :b",
		"a IN (:a, :b, c.d)", "attribute_exists(#a.b) OR attribute_not_exists(c[0])",
		"attribute_type(a, :t) AND begins_with(b, :p) AND contains(c, :e)", "size(a) > :n",
		"((a = :v))", "a = :v AND b = :v OR NOT c = :v", "a = ", "x[", ":v IN (a)",
	},
	kindUpdate: {
		"SET a = :v", "SET a.b[2] = b + :n, c = if_not_exists(c, :z) - :one REMOVE d, e[1] ADD f :s DELETE g :t",
		"SET l = list_append(if_not_exists(l, :e), :l)", "remove a set b = :v", "ADD #n :v", "SET a = ",
	},
	kindProjection: {"a", "a.b, c[1].d, #n", "a[0][1], b", "a,", "#x.#y[3]"},
}

func fuzzRoundTrip(t *testing.T, text string, k kind) {
	pd, err := parse(text, k)
	if err != nil {
		if _, ok := err.(*Error); !ok {
			t.Fatalf("%q: error %T is not *Error", text, err)
		}
		return
	}
	printed := formatRaw(pd, k)
	pd2, err := parse(printed, k)
	if err != nil {
		t.Fatalf("%q printed as %q does not parse: %v", text, printed, err)
	}
	a, b := any(pd.cond), any(pd2.cond)
	switch k {
	case kindUpdate:
		a, b = pd.update, pd2.update
	case kindProjection:
		a, b = pd.proj, pd2.proj
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("%q → %q → different tree:\n%#v\n%#v", text, printed, a, b)
	}
	if again := formatRaw(pd2, k); again != printed {
		t.Fatalf("printing is not stable: %q then %q", printed, again)
	}
}

func fuzzKind(f *testing.F, k kind) {
	for _, s := range fuzzSeeds[k] {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) { fuzzRoundTrip(t, text, k) })
}

func FuzzParseCondition(f *testing.F)  { fuzzKind(f, kindCondition) }
func FuzzParseUpdate(f *testing.F)     { fuzzKind(f, kindUpdate) }
func FuzzParseProjection(f *testing.F) { fuzzKind(f, kindProjection) }
