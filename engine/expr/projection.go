package expr

import (
	"slices"
	"strings"

	"github.com/shoaldb/shoal/engine/attr"
)

// Projection is a list of document paths to keep from an item.
type Projection []Path

// String prints the projection for messages: a.b, c[1].
func (p Projection) String() string {
	s := make([]string, len(p))
	for i, path := range p {
		s[i] = path.String()
	}
	return strings.Join(s, ", ")
}

// projNode is a trie of projected paths.
type projNode struct {
	leaf  bool
	names map[string]*projNode
	idx   []idxChild // sorted by index
}

type idxChild struct {
	i int
	n *projNode
}

// Apply returns the parts of item that p selects, nesting kept: a.b keeps
// {a: {b: …}}, and list elements are kept as a list of the selected
// elements in index order, so l[3], l[1] gives l: [l[1], l[3]] (Developer
// Guide, "Using projection expressions in DynamoDB"). Paths that are
// missing select nothing. A nil or empty projection returns item itself;
// otherwise the result is a new map sharing the selected values with item.
func (p Projection) Apply(item attr.M) attr.M {
	if len(p) == 0 || item == nil {
		return item
	}
	root := &projNode{}
	for _, path := range p {
		if len(path) == 0 || path[0].IsIndex {
			continue
		}
		n := root
		for _, e := range path {
			if n.leaf {
				break
			}
			n = n.child(e)
		}
		n.leaf, n.names, n.idx = true, nil, nil
	}
	out, _ := root.apply(item)
	m, _ := out.(attr.M)
	if m == nil {
		m = attr.M{}
	}
	return m
}

func (n *projNode) child(e PathElem) *projNode {
	if e.IsIndex {
		i, found := slices.BinarySearchFunc(n.idx, e.Index, func(c idxChild, t int) int { return c.i - t })
		if !found {
			n.idx = slices.Insert(n.idx, i, idxChild{e.Index, &projNode{}})
		}
		return n.idx[i].n
	}
	if n.names == nil {
		n.names = make(map[string]*projNode)
	}
	c := n.names[e.Name]
	if c == nil {
		c = &projNode{}
		n.names[e.Name] = c
	}
	return c
}

func (n *projNode) apply(v attr.Value) (attr.Value, bool) {
	if n.leaf {
		return v, true
	}
	switch v := v.(type) {
	case attr.M:
		var out attr.M
		for name, c := range n.names {
			cv, ok := v[name]
			if !ok {
				continue
			}
			if r, ok := c.apply(cv); ok {
				if out == nil {
					out = make(attr.M, len(n.names))
				}
				out[name] = r
			}
		}
		return out, out != nil
	case attr.L:
		var out attr.L
		for _, c := range n.idx {
			if c.i >= len(v) {
				break
			}
			if r, ok := c.n.apply(v[c.i]); ok {
				out = append(out, r)
			}
		}
		return out, out != nil
	}
	return nil, false
}
