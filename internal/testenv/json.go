package testenv

import "encoding/json"

// Dig walks decoded JSON (templates, API bodies): maps by string keys, slices by int
// indices; nil when a step is missing.
func Dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// JSONText renders decoded JSON compactly, for substring checks and failure messages.
func JSONText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
