package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/expr"
)

// Code is a stable, machine-readable error class. The GraphQL layer puts it in
// extensions.code and the DynamoDB API maps it to an exception name, so the
// strings never change.
type Code string

// The error codes.
const (
	// CodeValidation: the request is malformed or breaks a documented limit
	// of the data model; nothing was read or written.
	CodeValidation Code = "VALIDATION"
	// CodeNotFound: the named table does not exist. (An unknown index is
	// CodeValidation, as in DynamoDB.)
	CodeNotFound Code = "NOT_FOUND"
	// CodeConditionalCheckFailed: a write's condition evaluated to false;
	// nothing was written.
	CodeConditionalCheckFailed Code = "CONDITIONAL_CHECK_FAILED"
	// CodeTransactionCanceled: a transaction was rolled back; Error.Reasons
	// says why, per action.
	CodeTransactionCanceled Code = "TRANSACTION_CANCELED"
	// CodeTransactionConflict: a write kept conflicting with concurrent
	// writes to the same item and gave up after bounded retries.
	CodeTransactionConflict Code = "TRANSACTION_CONFLICT"
	// CodeLimitExceeded: a quota such as the number of indexes was reached.
	CodeLimitExceeded Code = "LIMIT_EXCEEDED"
	// CodeThrottled: the server shed load; the request may be retried.
	CodeThrottled Code = "THROTTLED"
	// CodeResourceInUse: the table already exists, or is being changed.
	CodeResourceInUse Code = "RESOURCE_IN_USE"
	// CodeAccessDenied: the caller may not do this.
	CodeAccessDenied Code = "ACCESS_DENIED"
	// CodeIdempotentParameterMismatch: a client request token was reused
	// with a different request.
	CodeIdempotentParameterMismatch Code = "IDEMPOTENT_PARAMETER_MISMATCH"
	// CodeTrimmedData: a change-stream cursor points before the oldest
	// record that retention kept; records were lost to the reader.
	CodeTrimmedData Code = "TRIMMED_DATA"
	// CodeInternal: a bug or a storage failure; the message says which.
	CodeInternal Code = "INTERNAL"
)

// Error is the engine's error: a stable code and a message for people.
type Error struct {
	// Code classifies the error.
	Code Code
	// Message says what went wrong, naming the offending input.
	Message string
	// Item is the item as stored when a condition failed and the request
	// asked for it (ReturnValuesOnConditionCheckFailure); nil otherwise.
	Item attr.Item
	// Reasons holds, for CodeTransactionCanceled, one entry per action of
	// the transaction, in request order.
	Reasons []CancellationReason

	err error // underlying cause, if any
}

// CancellationReason says what happened to one action of a canceled
// transaction. Code is "None" for actions that were fine.
type CancellationReason struct {
	// Code is DynamoDB's reason code: None, ConditionalCheckFailed,
	// ValidationError, TransactionConflict.
	Code string
	// Message explains the reason; empty for None.
	Message string
	// Item is the stored item for a failed condition, when asked for.
	Item attr.Item
}

// Error implements error: "engine: " and the message (the code when there
// is no message).
func (e *Error) Error() string {
	if e.Message == "" {
		return "engine: " + string(e.Code)
	}
	return "engine: " + e.Message
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.err }

// errorf builds an *Error with a formatted message.
func errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// validationError wraps an invalid-input error from attr or expr, keeping it
// reachable through errors.As.
func validationError(context string, err error) *Error {
	msg := err.Error()
	if context != "" {
		msg = context + ": " + msg
	}
	return &Error{Code: CodeValidation, Message: msg, err: err}
}

// internalError wraps a storage failure.
func internalError(op string, err error) *Error {
	return &Error{Code: CodeInternal, Message: op + ": " + err.Error(), err: err}
}

// CodeOf returns the code of err: the code of the first *Error in its chain,
// CodeValidation for the input errors of packages attr and expr, and
// CodeInternal for anything else. CodeOf(nil) is "".
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var ae *attr.Error
	var xe *expr.Error
	if errors.As(err, &ae) || errors.As(err, &xe) {
		return CodeValidation
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return CodeThrottled
	}
	return CodeInternal
}
