package resolvers

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePath(t *testing.T) {
	good := map[string]string{
		"a":          "a",
		"a.b":        "a.b",
		"a[0]":       "a[0]",
		"a[10].b[2]": "a[10].b[2]",
		"a[1][2]":    "a[1][2]",
		"select":     "select",
		"with space": "with space",
		"#notholder": "#notholder",
		"x.y.z[0].w": "x.y.z[0].w",
	}
	for in, want := range good {
		p, err := parsePath(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, p.String(), in)
	}
	for _, in := range []string{"", ".", "a.", ".a", "a..b", "[0]", "a[", "a[]", "a[-1]", "a[+1]", "a[x]", "a]", "a[0]b"} {
		_, err := parsePath(in)
		assert.Error(t, err, in)
	}
}
