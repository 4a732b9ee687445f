package main

import (
	"encoding/json"
	"os"
	"strings"
)

// A V8 CPU profile as node --cpu-prof writes it.
type cpuProfile struct {
	Nodes []struct {
		ID        int `json:"id"`
		CallFrame struct {
			FunctionName string `json:"functionName"`
			URL          string `json:"url"`
		} `json:"callFrame"`
		Children []int `json:"children"`
	} `json:"nodes"`
	StartTime  int64   `json:"startTime"`
	EndTime    int64   `json:"endTime"`
	Samples    []int   `json:"samples"`
	TimeDeltas []int64 `json:"timeDeltas"`
}

type frame struct{ fn, url string }

// category names what a stack frame was doing; "" when the frame says nothing and
// the caller decides.
func category(f frame) string {
	switch {
	case f.fn == "readLine" && strings.Contains(f.url, "jsii"):
		return "waiting for the Go process (jsii callback reads)"
	case strings.Contains(f.url, "cloudformation-validate") || strings.Contains(f.url, "/core/lib/validation/") ||
		strings.Contains(f.url, "synthesis-validation") || strings.HasPrefix(f.url, "wasm://"):
		return "synth: built-in CloudFormation validation (WASM rules)"
	case strings.Contains(f.url, "/cdk-nag/"):
		return "synth: aspects: cdk-nag"
	case f.fn == "invokeAspects" || strings.Contains(f.url, "/core/lib/tag-aspect"):
		return "synth: aspects: other (tags)"
	case strings.Contains(f.url, "/core/lib/fs/fingerprint") || strings.Contains(f.url, "/core/lib/fs/ignore") ||
		strings.Contains(f.url, "@balena/dockerignore") || strings.Contains(f.url, "/minimatch/"):
		return "asset staging: fingerprinting"
	case strings.Contains(f.url, "/core/lib/fs/copy"):
		return "asset staging: copying"
	case strings.Contains(f.url, "asset-staging"):
		return "asset staging: other (incl. bundling callbacks)"
	case f.fn == "synthesizeTree" || strings.Contains(f.url, "stack-synthesizers") || strings.Contains(f.url, "cloud-assembly"):
		return "synth: writing the cloud assembly (templates, manifests)"
	case f.fn == "prepareApp":
		return "synth: prepare (references, dependencies)"
	case strings.HasPrefix(f.url, "node:internal/modules") || f.fn == "wrapSafe" || f.fn == "compileFunction":
		return "loading JavaScript modules"
	}
	return ""
}

// summarize sums the profile's sample time (ms) by category of the innermost frame
// that has one; samples in no category are construct code, the jsii kernel, or idle.
func summarize(path string) (map[string]float64, float64, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	var p cpuProfile
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, 0, err
	}
	byID := map[int]frame{}
	parent := map[int]int{}
	for _, n := range p.Nodes {
		byID[n.ID] = frame{n.CallFrame.FunctionName, n.CallFrame.URL}
		for _, c := range n.Children {
			parent[c] = n.ID
		}
	}
	memo := map[int]string{}
	var classify func(id int) string
	classify = func(id int) string {
		if c, ok := memo[id]; ok {
			return c
		}
		f := byID[id]
		c := category(f)
		if c == "" {
			if pid, ok := parent[id]; ok {
				c = classify(pid)
			}
		}
		memo[id] = c
		return c
	}
	out := map[string]float64{}
	for i, id := range p.Samples {
		if i >= len(p.TimeDeltas) {
			break
		}
		ms := float64(p.TimeDeltas[i]) / 1000
		f := byID[id]
		var c string
		switch f.fn {
		case "(idle)":
			c = "idle (waiting for the Go process)"
		case "(garbage collector)":
			c = "garbage collection"
		case "(program)":
			c = "V8 (program)"
		default:
			c = classify(id)
			if c == "" {
				switch {
				case strings.Contains(f.url, "jsii") || strings.HasPrefix(f.url, "node:"):
					c = "jsii kernel and its pipe to Go"
				default:
					c = "construct code (CDK constructors, tokens)"
				}
			}
		}
		out[c] += ms
	}
	return out, float64(p.EndTime-p.StartTime) / 1000, nil
}
