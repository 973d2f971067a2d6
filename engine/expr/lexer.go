package expr

// tokenKind classifies a token of the expression language.
type tokenKind uint8

const (
	tokEOF      tokenKind = iota
	tokName               // bare attribute name or keyword: [A-Za-z_][A-Za-z0-9_]*
	tokNameRef            // expression attribute name: #[A-Za-z0-9_]+
	tokValueRef           // expression attribute value: :[A-Za-z0-9_]+
	tokInt                // digits, only meaningful as a list index
	tokDot
	tokComma
	tokLParen
	tokRParen
	tokLBracket
	tokRBracket
	tokEQ
	tokNE
	tokLT
	tokLE
	tokGT
	tokGE
	tokPlus
	tokMinus
	tokIllegal
)

// token is one lexeme: its kind, its text and its byte offset.
type token struct {
	kind tokenKind
	text string
	pos  int
}

// lexer splits an expression into tokens on demand. It never allocates: a
// token's text is a substring of the input.
type lexer struct {
	src string
	pos int
}

func isNameStart(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func isNameChar(c byte) bool { return isNameStart(c) || ('0' <= c && c <= '9') }

// next returns the next token; at the end of input, a tokEOF token whose pos
// is len(src).
func (l *lexer) next() token {
	s := l.src
	for l.pos < len(s) && (s[l.pos] == ' ' || s[l.pos] == '\t' || s[l.pos] == '\n' || s[l.pos] == '\r') {
		l.pos++
	}
	start := l.pos
	if start >= len(s) {
		return token{kind: tokEOF, pos: start}
	}
	c := s[start]
	one := func(k tokenKind) token {
		l.pos++
		return token{kind: k, text: s[start:l.pos], pos: start}
	}
	switch {
	case isNameStart(c):
		l.pos++
		for l.pos < len(s) && isNameChar(s[l.pos]) {
			l.pos++
		}
		return token{kind: tokName, text: s[start:l.pos], pos: start}
	case '0' <= c && c <= '9':
		l.pos++
		for l.pos < len(s) && '0' <= s[l.pos] && s[l.pos] <= '9' {
			l.pos++
		}
		return token{kind: tokInt, text: s[start:l.pos], pos: start}
	case c == '#' || c == ':':
		l.pos++
		for l.pos < len(s) && isNameChar(s[l.pos]) {
			l.pos++
		}
		if l.pos == start+1 {
			return token{kind: tokIllegal, text: s[start:l.pos], pos: start}
		}
		k := tokNameRef
		if c == ':' {
			k = tokValueRef
		}
		return token{kind: k, text: s[start:l.pos], pos: start}
	case c == '.':
		return one(tokDot)
	case c == ',':
		return one(tokComma)
	case c == '(':
		return one(tokLParen)
	case c == ')':
		return one(tokRParen)
	case c == '[':
		return one(tokLBracket)
	case c == ']':
		return one(tokRBracket)
	case c == '+':
		return one(tokPlus)
	case c == '-':
		return one(tokMinus)
	case c == '=':
		return one(tokEQ)
	case c == '<':
		if start+1 < len(s) {
			switch s[start+1] {
			case '>':
				l.pos += 2
				return token{kind: tokNE, text: "<>", pos: start}
			case '=':
				l.pos += 2
				return token{kind: tokLE, text: "<=", pos: start}
			}
		}
		return one(tokLT)
	case c == '>':
		if start+1 < len(s) && s[start+1] == '=' {
			l.pos += 2
			return token{kind: tokGE, text: ">=", pos: start}
		}
		return one(tokGT)
	}
	// An illegal character: report the whole UTF-8 sequence.
	l.pos++
	for l.pos < len(s) && s[l.pos]&0xC0 == 0x80 {
		l.pos++
	}
	return token{kind: tokIllegal, text: s[start:l.pos], pos: start}
}
