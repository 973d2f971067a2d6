package attr

// Error reports invalid input: a malformed number, a set with duplicates, an
// item over the size limit, malformed JSON or a corrupt binary encoding. Every
// error this package returns is an *Error, so callers (the engine, the
// DynamoDB API layer) can map it to a validation error with errors.As:
//
//	var ae *attr.Error
//	if errors.As(err, &ae) { ... }
//
// Msg names the problem in DynamoDB's wording where DynamoDB has one.
type Error struct {
	Msg string
}

// Error returns e.Msg.
func (e *Error) Error() string { return e.Msg }

func errorf(msg string) error { return &Error{Msg: msg} }

// Messages shared by several functions. They follow DynamoDB's wording.
const (
	msgNotNumeric      = "The parameter cannot be converted to a numeric value"
	msgPrecision       = "Attempting to store more than 38 significant digits in a Number"
	msgOverflow        = "Number overflow. Attempting to store a number with magnitude larger than supported range"
	msgUnderflow       = "Number underflow. Attempting to store a number with magnitude smaller than supported range"
	msgItemTooLarge    = "Item size has exceeded the maximum allowed size"
	msgNesting         = "Nesting Levels have exceeded supported limits"
	msgCorrupt         = "attr: corrupt binary encoding"
	msgInvalidParams   = "One or more parameter values were invalid: "
	msgMoreThanOneType = "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
	msgEmptyValue      = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
)
