package auth

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/shoaldb/shoal/engine"
	"github.com/shoaldb/shoal/engine/attr"
)

// Effect is a statement's effect.
type Effect string

// The effects.
const (
	Allow Effect = "allow"
	Deny  Effect = "deny"
)

// The actions. A statement's action patterns may end in (or be) "*":
// "item:*", "table:*", "admin:*", "*".
const (
	ActionTableCreate   = "table:create"
	ActionTableUpdate   = "table:update"
	ActionTableDelete   = "table:delete"
	ActionTableDescribe = "table:describe"
	ActionTableList     = "table:list"
	ActionTableHistory  = "table:history"
	ActionTableQuery    = "table:query"
	ActionTableScan     = "table:scan"
	ActionItemGet       = "item:get"
	ActionItemPut       = "item:put"
	ActionItemUpdate    = "item:update"
	ActionItemDelete    = "item:delete"
	ActionSubscribe     = "stream:subscribe"

	ActionAdminKeys  = "admin:keys"  // create, disable, delete and list API keys
	ActionAdminRoles = "admin:roles" // put, delete, list and attach roles
	ActionAdminAudit = "admin:audit" // read and verify the audit log and the policy history

	// ActionReplicationApply lets a peer region of a global table ship
	// its changes (and seed a new replica) here; give the replication
	// credential of each peer a role with only this action.
	ActionReplicationApply = "replication:apply"
)

// ResourceAll is the resource of actions that concern no table (listing
// tables, the admin actions).
const ResourceAll = "*"

// TableResource names a table in statements: "table/<name>".
func TableResource(table string) string { return "table/" + table }

// IndexResource names a secondary index: "table/<name>/index/<index>". A
// table's resource does not cover its indexes: grant "table/T/index/*" too.
func IndexResource(table, index string) string {
	if index == "" {
		return TableResource(table)
	}
	return "table/" + table + "/index/" + index
}

// controlPlane reports whether an action changes the configuration; such
// calls are always audited.
func controlPlane(action string) bool {
	switch action {
	case ActionTableCreate, ActionTableUpdate, ActionTableDelete:
		return true
	}
	return strings.HasPrefix(action, "admin:")
}

// Role is a named set of statements.
type Role struct {
	Name       string      `json:"name"`
	Statements []Statement `json:"statements"`
}

// Statement allows or denies actions on resources, under conditions.
type Statement struct {
	Effect Effect `json:"effect"`
	// Actions are action patterns ("item:get", "item:*", "*").
	Actions []string `json:"actions"`
	// Resources are resource patterns ("table/Orders",
	// "table/Orders/index/*", "table/*", "*"); "*" matches any characters,
	// "/" included.
	Resources []string `json:"resources"`
	// Conditions narrow an allow statement; a deny statement takes only
	// SourceIP.
	Conditions *Conditions `json:"conditions,omitempty"`
}

// Conditions of a statement. Every condition set must hold.
type Conditions struct {
	// LeadingKeys: the table's partition key must equal one of these
	// values; "${sub}" stands for the principal's Subject. A value that is
	// a number also matches a numeric partition key.
	LeadingKeys []string `json:"leadingKeys,omitempty"`
	// Attributes: the caller may read and write only these top-level
	// attributes (list the key attributes too).
	Attributes []string `json:"attributes,omitempty"`
	// SourceIP: the client's address must lie in one of these CIDR ranges.
	SourceIP []string `json:"sourceIp,omitempty"`
}

// BuiltinAdmin is the role that may do everything; it always exists and
// cannot be changed. The root key holds it.
const BuiltinAdmin = "admin"

var adminRole = Role{Name: BuiltinAdmin, Statements: []Statement{{Effect: Allow, Actions: []string{"*"}, Resources: []string{"*"}}}}

// Validate checks a role.
func (r *Role) Validate() error {
	if err := validName(r.Name); err != nil {
		return err
	}
	for i, s := range r.Statements {
		if s.Effect != Allow && s.Effect != Deny {
			return invalid("role %q statement %d: effect must be allow or deny", r.Name, i)
		}
		if len(s.Actions) == 0 || len(s.Resources) == 0 {
			return invalid("role %q statement %d: actions and resources are required", r.Name, i)
		}
		for _, a := range s.Actions {
			if a == "" || strings.Contains(strings.TrimSuffix(a, "*"), "*") {
				return invalid("role %q statement %d: action %q may hold \"*\" only at its end", r.Name, i, a)
			}
		}
		for _, res := range s.Resources {
			if res == "" {
				return invalid("role %q statement %d: empty resource", r.Name, i)
			}
		}
		if c := s.Conditions; c != nil {
			if s.Effect == Deny && (c.LeadingKeys != nil || c.Attributes != nil) {
				return invalid("role %q statement %d: a deny statement takes only the sourceIp condition", r.Name, i)
			}
			for _, cidr := range c.SourceIP {
				if _, err := netip.ParsePrefix(cidr); err != nil {
					return invalid("role %q statement %d: sourceIp %q is not a CIDR range", r.Name, i, cidr)
				}
			}
		}
	}
	return nil
}

func validName(name string) error {
	if name == "" || len(name) > 128 {
		return invalid("a name must be 1 to 128 characters")
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_-.:@", c)) {
			return invalid("name %q may only hold letters, digits and _ - . : @", name)
		}
	}
	return nil
}

// match reports whether s matches pattern, where "*" matches any run of
// characters.
func match(pattern, s string) bool {
	i := strings.IndexByte(pattern, '*')
	if i < 0 {
		return pattern == s
	}
	if !strings.HasPrefix(s, pattern[:i]) {
		return false
	}
	s, pattern = s[i:], pattern[i+1:]
	if pattern == "" {
		return true
	}
	for j := 0; j <= len(s); j++ {
		if match(pattern, s[j:]) {
			return true
		}
	}
	return false
}

func matchAny(patterns []string, s string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return match(p, s) })
}

func (c *Conditions) sourceOK(addr netip.Addr) bool {
	if c == nil || c.SourceIP == nil {
		return true
	}
	if !addr.IsValid() {
		return false
	}
	for _, cidr := range c.SourceIP {
		if p, err := netip.ParsePrefix(cidr); err == nil && p.Contains(addr.Unmap()) {
			return true
		}
	}
	return false
}

// evaluate decides action on resource for p with the statements of its
// roles: default deny; a matching deny wins; a matching allow without
// fine-grained conditions allows everything; otherwise the fine-grained
// conditions of the matching allows are intersected (a request must meet
// all of them), which never grants more than any one statement.
func evaluate(p *Principal, roles []*Role, action, resource string) (allowed bool, r *engine.Restriction) {
	var (
		any        bool
		restricted []*Conditions
	)
	for _, role := range roles {
		for i := range role.Statements {
			s := &role.Statements[i]
			if !matchAny(s.Actions, action) || !matchAny(s.Resources, resource) || !s.Conditions.sourceOK(p.Source) {
				continue
			}
			if s.Effect == Deny {
				return false, nil
			}
			if s.Conditions == nil || s.Conditions.LeadingKeys == nil && s.Conditions.Attributes == nil {
				any = true
				restricted = nil
				continue
			}
			if !any {
				restricted = append(restricted, s.Conditions)
			}
		}
	}
	if any {
		return true, nil
	}
	if restricted == nil {
		return false, nil
	}
	r = &engine.Restriction{}
	for _, c := range restricted {
		if c.LeadingKeys != nil {
			vals := leadingValues(p, c.LeadingKeys)
			if r.PartitionKeys == nil {
				r.PartitionKeys = vals
			} else {
				r.PartitionKeys = slices.DeleteFunc(r.PartitionKeys, func(v attr.Value) bool {
					return !slices.ContainsFunc(vals, func(w attr.Value) bool { return attr.Equal(v, w) })
				})
			}
		}
		if c.Attributes != nil {
			if r.Attributes == nil {
				r.Attributes = slices.Clone(c.Attributes)
			} else {
				r.Attributes = slices.DeleteFunc(r.Attributes, func(a string) bool { return !slices.Contains(c.Attributes, a) })
			}
		}
	}
	return true, r
}

// leadingValues substitutes ${sub} and gives each value as S and, when it
// is a number, as N too. A principal without a subject matches nothing
// through ${sub}.
func leadingValues(p *Principal, patterns []string) []attr.Value {
	vals := []attr.Value{}
	for _, pat := range patterns {
		if strings.Contains(pat, "${sub}") {
			if p.Subject == "" {
				continue
			}
			pat = strings.ReplaceAll(pat, "${sub}", p.Subject)
		}
		vals = append(vals, attr.S(pat))
		if n, err := attr.ParseNumber(pat); err == nil {
			vals = append(vals, n)
		}
	}
	return vals
}
