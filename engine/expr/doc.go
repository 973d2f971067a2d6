// Package expr implements DynamoDB's expression language for Shoal:
// condition and filter expressions, update expressions, projection
// expressions and key condition expressions, with DynamoDB's semantics
// (Amazon DynamoDB Developer Guide, "Using expressions in DynamoDB").
//
// Text goes through a lexer and a parser into an AST (Condition, Update,
// Projection, KeyCondition), shaped like gqlparser's lexer → parser → ast.
// Parsed trees are cached by text with their "#name" and ":value"
// placeholders unresolved, so a repeated expression is never lexed again;
// Params binds a cached tree to one request's names and values, checks that
// every placeholder is defined and, through CheckUnused, that every supplied
// one is used. Eval evaluates a condition against an item, Update.Apply
// computes the new item copy-on-write, Projection.Apply keeps the selected
// paths.
//
// The AST is exported so the GraphQL layer can build structured conditions
// directly; ValidateCondition and Update.Validate check such hand-built trees
// by the rules the parser enforces on text. Every error is an *Error; no
// input makes the package panic.
//
// # Usage
//
// One Params per request, one call per expression, then CheckUnused:
//
//	p := &expr.Params{Names: names, Values: values}
//	cond, err := p.Condition(req.ConditionExpression) // "" → nil: no condition
//	upd, err := p.Update(req.UpdateExpression)
//	err = upd.Validate(table.KeyAttributes()...)
//	err = p.CheckUnused()
//	...
//	if !expr.Eval(cond, old) { /* condition failed */ }
//	next, err := upd.Apply(old) // old is not modified
//
// Trees returned by Params may share parts with the cache and with each
// other: treat them as immutable.
package expr
