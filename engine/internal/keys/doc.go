// Package keys encodes key attribute values (S, N and B) into bytes that sort
// as DynamoDB sorts the values and delimit themselves, so concatenations such
// as table · enc(pk) · enc(sk) sort by pk, then by sk, in Badger.
//
// For two values a and b of one type and any byte strings x and y,
// bytes.Compare(enc(a)+x, enc(b)+y) has the sign of attr.Compare(a, b)
// whenever a ≠ b, and enc(a) = enc(b) exactly when a equals b.
//
//   - S and B: the bytes, with each 0x00 written 0x00 0xFF, then the
//     terminator 0x00 0x01 (as FoundationDB's tuple layer and CockroachDB do).
//     Strings sort bytewise by UTF-8.
//   - N: a sign byte (0x01 negative, 0x02 zero, 0x03 positive); zero is that
//     byte alone. A non-zero number continues with its exponent in one byte
//     and its significant digits two per byte, ended by 0x00; a negative
//     number has those bytes complemented. See AppendN.
//
// The type is not encoded: the table's key schema says which type to decode.
//
// # Usage
//
//	k := keys.AppendS(prefix, "user#42")      // partition key
//	k = keys.AppendN(k, n)                     // sort key
//	lo := keys.PrefixS(prefix, "user#")        // begins_with(pk, "user#") starts here
//	pk, rest, err := keys.Decode(k[len(prefix):], attr.TypeS)
//	rest, err = keys.Skip(rest, attr.TypeN)    // len(rest) == 0
package keys
