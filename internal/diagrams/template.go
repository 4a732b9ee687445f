package diagrams

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Template is the part of a synthesized CloudFormation template that the diagrams read.
type Template struct {
	Stack     string
	Resources map[string]Resource
}

// Resource is one entry of a template's Resources.
type Resource struct {
	Type       string
	Properties map[string]any
	Metadata   map[string]any
}

// ReadTemplates reads <cdkOut>/<Stack>.template.json for each stack.
func ReadTemplates(cdkOut string, stacks []string) (map[string]*Template, error) {
	out := map[string]*Template{}
	for _, s := range stacks {
		raw, err := os.ReadFile(filepath.Join(cdkOut, s+".template.json"))
		if err != nil {
			return nil, fmt.Errorf("read the synthesized template of %s: %w (synthesize the app first)", s, err)
		}
		t := &Template{Stack: s}
		if err := json.Unmarshal(raw, t); err != nil {
			return nil, fmt.Errorf("%s.template.json: %w", s, err)
		}
		out[s] = t
	}
	return out, nil
}

// IDs returns the logical IDs in sorted order, so everything built from a template is
// in the same order on every run.
func (t *Template) IDs() []string {
	ids := make([]string, 0, len(t.Resources))
	for id := range t.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// OfType lists the logical IDs of the resources of one type, sorted.
func (t *Template) OfType(typ string) []string {
	var ids []string
	for _, id := range t.IDs() {
		if t.Resources[id].Type == typ {
			ids = append(ids, id)
		}
	}
	return ids
}

// Name is the course's name of a resource: the innermost construct on its path (the
// aws:cdk:path metadata) that is not an L2 construct's generic child, so
// "EcsClusterQaBot/EcsClusterQaBot-Table/Resource" is "EcsClusterQaBot-Table" and
// "Bashoutter/GetHaiku/Function/Resource" is "GetHaiku"; the logical ID when the
// metadata is off.
func (t *Template) Name(id string) string {
	p, _ := t.Resources[id].Metadata["aws:cdk:path"].(string)
	parts := strings.Split(p, "/")
	for i := len(parts) - 1; i >= 1; i-- {
		switch parts[i] {
		case "", "Resource", "Default", "Instance", "Function":
			continue
		}
		return parts[i]
	}
	return id
}

var subRef = regexp.MustCompile(`\$\{([A-Za-z0-9]+)(\.[A-Za-z0-9.]+)?\}`)

// Refs lists the logical IDs of this template's resources that v refers to (Ref,
// Fn::GetAtt, Fn::Sub), in order of appearance, without pseudo parameters.
func (t *Template) Refs(v any) []string {
	var out []string
	seen := map[string]bool{}
	add := func(id string) {
		if _, ok := t.Resources[id]; ok && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				val := x[k]
				switch k {
				case "Ref":
					if s, ok := val.(string); ok {
						add(s)
						continue
					}
				case "Fn::GetAtt":
					if a, ok := val.([]any); ok && len(a) > 0 {
						if s, ok := a[0].(string); ok {
							add(s)
						}
						continue
					}
					if s, ok := val.(string); ok {
						add(strings.SplitN(s, ".", 2)[0])
						continue
					}
				case "Fn::Sub":
					var tmpl string
					switch y := val.(type) {
					case string:
						tmpl = y
					case []any:
						if len(y) > 0 {
							tmpl, _ = y[0].(string)
						}
						if len(y) > 1 {
							walk(y[1])
						}
					}
					for _, m := range subRef.FindAllStringSubmatch(tmpl, -1) {
						add(m[1])
					}
					continue
				}
				walk(val)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// prop walks nested properties by key; nil when a key is missing.
func prop(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// str is a literal string property, or "" when it is missing or not literal.
func str(v any, keys ...string) string {
	s, _ := prop(v, keys...).(string)
	return s
}

// list is a property as a list (a single value becomes a one-element list).
func list(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	default:
		return []any{x}
	}
}
