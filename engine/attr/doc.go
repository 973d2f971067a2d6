// Package attr holds Shoal's attribute values: DynamoDB's data types (S, N,
// B, BOOL, NULL, L, M, SS, NS, BS), their rules, and the forms they take.
//
// A Value is one of the concrete types S, Number, B, Bool, Null, L, M, SS, NS
// and BS; an item is an M. Numbers are exact decimals with DynamoDB's limits
// (38 significant digits, magnitude 1E-130 … 9.99…E+125), parsed with
// ParseNumber and never rounded. The package provides
//
//   - comparison: Equal (deep, sets order-insensitive) and Compare (the
//     ordering of key types S, N and B);
//   - DynamoDB's size accounting (Size, ItemSize) and rules (Validate,
//     ValidateItem: non-empty duplicate-free sets, nesting ≤ 32, item ≤ 400 KB);
//   - Shoal JSON, the plain-JSON form used by GraphQL (ParseJSON, AppendJSON),
//     with tagged objects {"$b": ...}, {"$ss": ...}, {"$ns": ...}, {"$bs": ...}
//     for the types JSON lacks and {"$m": ...} to escape a map whose only key
//     starts with "$";
//   - DynamoDB JSON, the typed form {"S": "x"} (ParseDynamoJSON,
//     AppendDynamoJSON);
//   - a compact, deterministic binary form for storage (EncodeItem,
//     DecodeItem, AppendBinary, DecodeBinary).
//
// Every invalid-input error is an *Error whose message follows DynamoDB's
// wording. Values are immutable once built and safe to share between
// goroutines; decoders never keep references to their input.
//
// # Usage
//
// Parse an item from GraphQL, check it, store it, and read it back:
//
//	item, err := attr.ParseItemJSON([]byte(`{"id": "u1", "age": 42, "tags": {"$ss": ["a", "b"]}}`))
//	if err != nil { ... }
//	if err := attr.ValidateItem(item); err != nil { ... } // a validation error for the client
//	buf := attr.EncodeItem(nil, item)                     // the value stored in Badger
//	back, err := attr.DecodeItem(buf)                     // back does not alias buf
//	out := attr.AppendJSON(nil, back)                     // {"age":42,"id":"u1","tags":{"$ss":["a","b"]}}
//
// Numbers: ParseNumber("1.50") is the same Number as ParseNumber("1.5E0");
// String gives canonical text ("1.5"), Cmp compares, Add and Sub compute
// exactly or fail.
package attr
