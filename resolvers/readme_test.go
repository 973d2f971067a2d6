package resolvers_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestREADMETour runs the README's GraphQL blocks in order against a fresh
// server, so that the tour stays true. A block with a comment line
// "# errors[0].extensions: {"code": "X", ...}" must fail with code X.
func TestREADMETour(t *testing.T) {
	src, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```graphql\n(.*?)```").FindAllStringSubmatch(string(src), -1)
	require.NotEmpty(t, blocks)
	s := startServer(t)
	wantCode := regexp.MustCompile(`# errors\[0\]\.extensions: \{"code": "([A-Z_]+)"`)
	for i, b := range blocks {
		q := b[1]
		if strings.HasPrefix(strings.TrimSpace(q), "subscription") {
			continue // over WebSocket: the root package's subscription tests cover them
		}
		r := s.do(q, nil)
		if m := wantCode.FindStringSubmatch(q); m != nil {
			require.Equal(t, m[1], r.code(t), "block %d", i)
			continue
		}
		require.Empty(t, r.Errors, "block %d:\n%s", i, q)
		if strings.Contains(q, "createTable") && strings.Contains(q, "globalIndexes") {
			name := regexp.MustCompile(`name: "([A-Za-z]+)"`).FindStringSubmatch(q)[1]
			s.waitActive(name)
		}
	}
}
