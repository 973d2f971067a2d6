package expr

import (
	"strconv"
	"strings"

	"github.com/shoaldb/shoal/engine/attr"
)

// printer prints trees back as expression text. In raw mode (parsed,
// unbound trees) names and placeholders are printed as they are; otherwise
// names that cannot be written bare and all values become generated
// placeholders (#n0, :v0, …), collected in params.
type printer struct {
	b      strings.Builder
	raw    bool
	params *Params
	nameOf map[string]string // attribute name → placeholder
}

// FormatCondition prints c as expression text, for messages and tests.
// Values print as generated placeholders :v0, :v1, … and names that are
// reserved words or not plain identifiers as #n0, #n1, …; use
// FormatConditionParams to get the placeholders' meanings.
func FormatCondition(c Condition) string {
	s, _ := FormatConditionParams(c)
	return s
}

// FormatConditionParams prints c as expression text and returns the names
// and values its placeholders stand for: params.Condition(text) gives back
// a condition equal to c.
func FormatConditionParams(c Condition) (string, *Params) {
	pr := newPrinter(false)
	if c != nil {
		pr.cond(c)
	}
	return pr.b.String(), pr.params
}

// FormatUpdate prints u as update expression text, with the names and
// values its placeholders stand for.
func FormatUpdate(u *Update) (string, *Params) {
	pr := newPrinter(false)
	pr.update(u)
	return pr.b.String(), pr.params
}

func newPrinter(raw bool) *printer {
	return &printer{raw: raw, params: &Params{Names: map[string]string{}, Values: map[string]attr.Value{}}, nameOf: map[string]string{}}
}

func isBareName(s string) bool {
	if s == "" || !isNameStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isNameChar(s[i]) {
			return false
		}
	}
	return !IsReserved(s)
}

func (pr *printer) name(n string) {
	if pr.raw || isBareName(n) {
		pr.b.WriteString(n)
		return
	}
	ph, ok := pr.nameOf[n]
	if !ok {
		ph = "#n" + strconv.Itoa(len(pr.nameOf))
		pr.nameOf[n] = ph
		pr.params.Names[ph] = n
	}
	pr.b.WriteString(ph)
}

func (pr *printer) path(p Path) {
	for i, e := range p {
		if e.IsIndex {
			pr.b.WriteByte('[')
			pr.b.WriteString(strconv.Itoa(e.Index))
			pr.b.WriteByte(']')
			continue
		}
		if i > 0 {
			pr.b.WriteByte('.')
		}
		pr.name(e.Name)
	}
}

func (pr *printer) operand(o Operand) {
	switch o := o.(type) {
	case *PathOperand:
		pr.path(o.Path)
	case *ValueOperand:
		if pr.raw {
			pr.b.WriteString(o.ref)
			return
		}
		pr.value(o.Value)
	case *SizeOperand:
		pr.b.WriteString("size(")
		pr.path(o.Path)
		pr.b.WriteByte(')')
	case *IfNotExists:
		pr.b.WriteString("if_not_exists(")
		pr.path(o.Path)
		pr.b.WriteString(", ")
		pr.operand(o.Value)
		pr.b.WriteByte(')')
	case *ListAppend:
		pr.b.WriteString("list_append(")
		pr.operand(o.A)
		pr.b.WriteString(", ")
		pr.operand(o.B)
		pr.b.WriteByte(')')
	case *Arith:
		pr.operand(o.A)
		pr.b.WriteString(" " + string(o.Op) + " ")
		pr.operand(o.B)
	default:
		pr.b.WriteString("<nil>")
	}
}

func (pr *printer) value(v attr.Value) {
	ph := ":v" + strconv.Itoa(len(pr.params.Values))
	pr.params.Values[ph] = v
	pr.b.WriteString(ph)
}

func (pr *printer) cond(c Condition) {
	switch c := c.(type) {
	case *And:
		pr.b.WriteByte('(')
		pr.cond(c.A)
		pr.b.WriteString(" AND ")
		pr.cond(c.B)
		pr.b.WriteByte(')')
	case *Or:
		pr.b.WriteByte('(')
		pr.cond(c.A)
		pr.b.WriteString(" OR ")
		pr.cond(c.B)
		pr.b.WriteByte(')')
	case *Not:
		pr.b.WriteString("NOT ")
		pr.cond(c.C)
	case *Compare:
		pr.operand(c.A)
		pr.b.WriteString(" " + c.Op.String() + " ")
		pr.operand(c.B)
	case *Between:
		pr.operand(c.X)
		pr.b.WriteString(" BETWEEN ")
		pr.operand(c.Lo)
		pr.b.WriteString(" AND ")
		pr.operand(c.Hi)
	case *In:
		pr.operand(c.X)
		pr.b.WriteString(" IN (")
		for i, o := range c.List {
			if i > 0 {
				pr.b.WriteString(", ")
			}
			pr.operand(o)
		}
		pr.b.WriteByte(')')
	case *Func:
		pr.b.WriteString(string(c.Name))
		pr.b.WriteByte('(')
		pr.path(c.Path)
		if c.Arg != nil {
			pr.b.WriteString(", ")
			pr.operand(c.Arg)
		}
		pr.b.WriteByte(')')
	default:
		pr.b.WriteString("<nil>")
	}
}

func (pr *printer) update(u *Update) {
	sep := func(i int) {
		if i > 0 {
			pr.b.WriteString(", ")
		}
	}
	clause := func(kw string) {
		if pr.b.Len() > 0 {
			pr.b.WriteByte(' ')
		}
		pr.b.WriteString(kw + " ")
	}
	if len(u.Set) > 0 {
		clause("SET")
		for i, a := range u.Set {
			sep(i)
			pr.path(a.Path)
			pr.b.WriteString(" = ")
			pr.operand(a.Value)
		}
	}
	if len(u.Remove) > 0 {
		clause("REMOVE")
		for i, p := range u.Remove {
			sep(i)
			pr.path(p)
		}
	}
	if len(u.Add) > 0 {
		clause("ADD")
		for i, a := range u.Add {
			sep(i)
			pr.path(a.Path)
			pr.b.WriteByte(' ')
			pr.operand(&ValueOperand{Value: a.Value, ref: a.ref})
		}
	}
	if len(u.Delete) > 0 {
		clause("DELETE")
		for i, a := range u.Delete {
			sep(i)
			pr.path(a.Path)
			pr.b.WriteByte(' ')
			pr.operand(&ValueOperand{Value: a.Value, ref: a.ref})
		}
	}
}

// formatRaw prints a parsed, unbound tree (for the round-trip fuzz tests).
func formatRaw(pd *parsed, k kind) string {
	pr := newPrinter(true)
	switch k {
	case kindCondition:
		pr.cond(pd.cond)
	case kindUpdate:
		pr.update(pd.update)
	case kindProjection:
		for i, p := range pd.proj {
			if i > 0 {
				pr.b.WriteString(", ")
			}
			pr.path(p)
		}
	}
	return pr.b.String()
}
