package dynamodbapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/shoaldb/shoal/engine"
	"github.com/shoaldb/shoal/engine/attr"
	"github.com/shoaldb/shoal/engine/expr"
)

// The prefixes of DynamoDB's __type names: service errors of DynamoDB,
// validation errors, and errors of the request layer (authentication,
// serialization, unknown operations).
const (
	typeDynamoDB = "com.amazonaws.dynamodb.v20120810#"
	typeValidate = "com.amazon.coral.validate#"
	typeCoral    = "com.amazon.coral.service#"
)

// Error is an error as the DynamoDB API reports it: an HTTP status, a
// __type and a message, and for some exceptions more members. Every error a
// handler returns becomes one (see asError).
type Error struct {
	// Status is the HTTP status code: 400 for client errors, 500 for
	// InternalServerError, 413 for a body too large.
	Status int
	// Type is the full __type, e.g.
	// "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException".
	Type string
	// Message is the human-readable message.
	Message string
	// Item is the stored item of a ConditionalCheckFailedException when
	// ReturnValuesOnConditionCheckFailure was ALL_OLD.
	Item attr.Item
	// Reasons are the CancellationReasons of a
	// TransactionCanceledException.
	Reasons []engine.CancellationReason
}

// Error implements error: "dynamodbapi: <exception name>: <message>".
func (e *Error) Error() string {
	return "dynamodbapi: " + e.Name() + ": " + e.Message
}

// Name is the exception's short name, after the '#' of its type.
func (e *Error) Name() string {
	_, name, _ := strings.Cut(e.Type, "#")
	return name
}

func newError(status int, typ, msg string) *Error {
	return &Error{Status: status, Type: typ, Message: msg}
}

// validation is a ValidationException.
func validation(msg string) *Error {
	return newError(http.StatusBadRequest, typeValidate+"ValidationException", msg)
}

// invalidParam is a ValidationException in DynamoDB's most common wording.
func invalidParam(msg string) *Error {
	return validation("One or more parameter values were invalid: " + msg)
}

// serialization is a SerializationException: the body is not the JSON the
// operation takes.
func serialization(msg string) *Error {
	return newError(http.StatusBadRequest, typeCoral+"SerializationException", msg)
}

// notFound is a ResourceNotFoundException.
func notFound(msg string) *Error {
	return newError(http.StatusBadRequest, typeDynamoDB+"ResourceNotFoundException", msg)
}

// The request layer's errors, with DynamoDB's messages.
var (
	errMissingAuth = func() *Error {
		return newError(http.StatusBadRequest, typeCoral+"MissingAuthenticationTokenException", "Request is missing Authentication Token")
	}
	errUnrecognizedClient = func() *Error {
		return newError(http.StatusBadRequest, typeCoral+"UnrecognizedClientException", "The security token included in the request is invalid.")
	}
	errBadSignature = func() *Error {
		return newError(http.StatusBadRequest, typeCoral+"InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	}
)

func invalidSignature(msg string) *Error {
	return newError(http.StatusBadRequest, typeCoral+"InvalidSignatureException", msg)
}

func incompleteSignature(msg string) *Error {
	return newError(http.StatusBadRequest, typeCoral+"IncompleteSignatureException", msg)
}

// engineTypes maps the engine's codes to DynamoDB's exceptions.
var engineTypes = map[engine.Code]string{
	engine.CodeValidation:                  typeValidate + "ValidationException",
	engine.CodeNotFound:                    typeDynamoDB + "ResourceNotFoundException",
	engine.CodeConditionalCheckFailed:      typeDynamoDB + "ConditionalCheckFailedException",
	engine.CodeTransactionCanceled:         typeDynamoDB + "TransactionCanceledException",
	engine.CodeTransactionConflict:         typeDynamoDB + "TransactionConflictException",
	engine.CodeResourceInUse:               typeDynamoDB + "ResourceInUseException",
	engine.CodeLimitExceeded:               typeDynamoDB + "LimitExceededException",
	engine.CodeIdempotentParameterMismatch: typeDynamoDB + "IdempotentParameterMismatchException",
	engine.CodeTrimmedData:                 typeDynamoDB + "TrimmedDataAccessException",
	engine.CodeThrottled:                   typeDynamoDB + "ThrottlingException",
	engine.CodeAccessDenied:                typeCoral + "AccessDeniedException",
	engine.CodeInternal:                    typeDynamoDB + "InternalServerError",
}

// asError converts any error of a handler to an *Error: engine errors by
// their code, the input errors of attr and expr as ValidationException, and
// anything else as InternalServerError.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	code := engine.CodeOf(err)
	typ, ok := engineTypes[code]
	if !ok {
		typ = engineTypes[engine.CodeInternal]
	}
	out := &Error{Status: http.StatusBadRequest, Type: typ, Message: messageOf(err)}
	var ee *engine.Error
	if errors.As(err, &ee) {
		out.Item = ee.Item
		out.Reasons = ee.Reasons
	}
	switch code {
	case engine.CodeInternal:
		out.Status = http.StatusInternalServerError
	case engine.CodeConditionalCheckFailed:
		out.Message = "The conditional request failed"
	case engine.CodeTransactionCanceled:
		codes := make([]string, len(out.Reasons))
		for i, r := range out.Reasons {
			codes[i] = r.Code
		}
		out.Message = "Transaction cancelled, please refer cancellation reasons for specific reasons [" + strings.Join(codes, ", ") + "]"
	case engine.CodeNotFound:
		out.Message = "Requested resource not found"
	}
	return out
}

// messageOf returns an error's message without the package prefixes that
// DynamoDB's messages do not have.
func messageOf(err error) string {
	var ee *engine.Error
	if errors.As(err, &ee) && ee.Message != "" {
		return trimPrefixes(ee.Message)
	}
	var xe *expr.Error
	if errors.As(err, &xe) {
		return trimPrefixes(xe.Error())
	}
	return trimPrefixes(err.Error())
}

func trimPrefixes(s string) string {
	for _, p := range []string{"engine: ", "expr: ", "attr: "} {
		s = strings.ReplaceAll(s, p, "")
	}
	return s
}
