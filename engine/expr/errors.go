package expr

import (
	"fmt"
	"strconv"
)

// Error is the error of every function in this package: a malformed or
// invalid expression, an undefined or unused placeholder, a broken limit, or
// (from Update.Apply) an update that does not fit the item's data. The engine
// maps it to a validation error.
//
// Pos is the byte offset in the expression text where the problem was found,
// or -1 when the problem has no single position (a placeholder value of the
// wrong type, an item that does not fit an update).
type Error struct {
	Pos int
	Msg string

	near string // the token at Pos, for the message
}

// Error returns the message, with the position and the token near it when
// the error is positional: `expr: Syntax error; unexpected token at position
// 4 near "AND"`.
func (e *Error) Error() string {
	if e.Pos < 0 {
		return "expr: " + e.Msg
	}
	s := "expr: " + e.Msg + " at position " + strconv.Itoa(e.Pos)
	if e.near != "" {
		s += " near " + strconv.Quote(e.near)
	}
	return s
}

// errorf returns a non-positional *Error.
func errorf(format string, args ...any) *Error {
	return &Error{Pos: -1, Msg: fmt.Sprintf(format, args...)}
}

// errAt returns an *Error at byte offset pos, near token near.
func errAt(pos int, near string, format string, args ...any) *Error {
	if len(near) > 40 {
		near = near[:40] + "…"
	}
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...), near: near}
}

// Messages shared by several functions, in DynamoDB's wording where it has
// one, so users can search for them.
const (
	msgInvalidUpdatePath = "The document path provided in the update expression is invalid for update"
	msgMissingOperand    = "The provided expression refers to an attribute that does not exist in the item"
	msgIncorrectType     = "An operand in the update expression has an incorrect data type"
	msgOverlap           = "Two document paths overlap with each other; must remove or rewrite one of these paths"
	msgConflict          = "Two document paths conflict with each other; must remove or rewrite one of these paths"
)
