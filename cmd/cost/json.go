package main

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

// dig walks maps by string keys; nil when a step is missing.
func dig(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

// num reads a number that CloudFormation may write as a number or a string.
func num(v any, def float64) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case string:
		var f float64
		if _, err := fmt.Sscan(n, &f); err == nil {
			return f
		}
	}
	return def
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// money prints a price with the digits that matter: $0.71, $0.0136, $0.0000133334.
func money(v float64) string {
	switch {
	case v == 0:
		return "$0"
	case v >= 100:
		return fmt.Sprintf("$%.0f", v)
	case v >= 1:
		return fmt.Sprintf("$%.2f", v)
	}
	digits := max(2, int(math.Ceil(-math.Log10(v)))+2) // two significant digits, cents at least
	s := fmt.Sprintf("$%.*f", digits, v)
	for strings.HasSuffix(s, "0") && len(s)-strings.Index(s, ".")-1 > 2 {
		s = strings.TrimSuffix(s, "0")
	}
	return s
}
