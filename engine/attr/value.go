package attr

// Type is the DynamoDB type of an attribute value.
type Type uint8

// The attribute types, in DynamoDB's names. The numeric values are stable:
// the binary codec writes them to disk.
const (
	TypeS    Type = 1  // string
	TypeN    Type = 2  // number
	TypeB    Type = 3  // binary
	TypeBOOL Type = 4  // boolean
	TypeNULL Type = 5  // null
	TypeL    Type = 6  // list
	TypeM    Type = 7  // map
	TypeSS   Type = 8  // string set
	TypeNS   Type = 9  // number set
	TypeBS   Type = 10 // binary set
)

var typeNames = [...]string{
	TypeS: "S", TypeN: "N", TypeB: "B", TypeBOOL: "BOOL", TypeNULL: "NULL",
	TypeL: "L", TypeM: "M", TypeSS: "SS", TypeNS: "NS", TypeBS: "BS",
}

// String returns DynamoDB's name of the type ("S", "NS", "BOOL", ...).
func (t Type) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return "INVALID"
}

// ParseType returns the type named by DynamoDB's name ("S", "N", ...); ok is
// false for any other string.
func ParseType(name string) (t Type, ok bool) {
	for i, n := range typeNames {
		if n != "" && n == name {
			return Type(i), true
		}
	}
	return 0, false
}

// Value is an attribute value: one of S, N, B, Bool, Null, L, M, SS, NS, BS.
// Values are immutable once built: functions that take a Value never modify
// it, and functions that return one never keep a reference they later change.
type Value interface {
	// Type reports the value's DynamoDB type.
	Type() Type
	isValue()
}

// S is a string value (UTF-8).
type S string

// B is a binary value.
type B []byte

// Bool is a boolean value.
type Bool bool

// Null is the null value. Its only meaningful content is its type.
type Null struct{}

// L is a list of values of any types.
type L []Value

// M is a map from attribute names to values.
type M map[string]Value

// SS is a string set: non-empty, no duplicates. Order carries no meaning;
// the codecs keep elements in the order given.
type SS []string

// NS is a number set: non-empty, no two numerically equal elements.
type NS []Number

// BS is a binary set: non-empty, no duplicates.
type BS [][]byte

// Item is a whole item: attribute names to values. An Item is an M.
type Item = M

func (S) Type() Type      { return TypeS }
func (Number) Type() Type { return TypeN }
func (B) Type() Type      { return TypeB }
func (Bool) Type() Type   { return TypeBOOL }
func (Null) Type() Type   { return TypeNULL }
func (L) Type() Type      { return TypeL }
func (M) Type() Type      { return TypeM }
func (SS) Type() Type     { return TypeSS }
func (NS) Type() Type     { return TypeNS }
func (BS) Type() Type     { return TypeBS }

func (S) isValue()      {}
func (Number) isValue() {}
func (B) isValue()      {}
func (Bool) isValue()   {}
func (Null) isValue()   {}
func (L) isValue()      {}
func (M) isValue()      {}
func (SS) isValue()     {}
func (NS) isValue()     {}
func (BS) isValue()     {}
