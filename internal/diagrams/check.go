package diagrams

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

// Stacks lists every stack drawn by some figure.
func Stacks() []string {
	var out []string
	for _, h := range HandsOns {
		out = append(out, h.Stacks...)
	}
	return out
}

// Check compares the committed figures in dir with what the templates draw now: each
// <File>.dot must equal the DOT built from the templates (same drawn resources, edges
// and labels), and each <File>.svg must have been drawn from that DOT.
func Check(dir string, templates map[string]*Template) error {
	var stale []string
	for _, h := range HandsOns {
		g, err := Build(h, templates)
		if err != nil {
			return err
		}
		want := g.DOT()
		got, err := os.ReadFile(filepath.Join(dir, h.File+".dot"))
		if err != nil {
			stale = append(stale, fmt.Sprintf("%s.dot is missing", h.File))
			continue
		}
		if string(got) != want {
			stale = append(stale, fmt.Sprintf("%s.dot differs from the app (%s)", h.File, firstDiff(string(got), want)))
			continue
		}
		svg, err := os.ReadFile(filepath.Join(dir, h.File+".svg"))
		if err != nil || !strings.Contains(string(svg), hashComment(want)) {
			stale = append(stale, fmt.Sprintf("%s.svg was not drawn from %s.dot", h.File, h.File))
		}
	}
	if len(stale) > 0 {
		return errors.New("stale architecture diagrams in " + dir + ": " + strings.Join(stale, "; ") +
			"; run `make diagrams` and commit docs/diagrams")
	}
	return nil
}

// firstDiff names the first line that differs, committed → now.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d: committed %q, app %q", i+1, clip(gl), clip(wl))
		}
	}
	return "same lines"
}

func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// Synth synthesizes the app into outdir as the figures are drawn from it: as the CDK
// CLI does (cdk.json's context, no AWS account) with the construct paths in the
// templates' metadata (the CLI's aws:cdk:enable-path-metadata), which give the course's
// names, and with asset bundling skipped (assets are not drawn).
func Synth(outdir string) error {
	return testenv.SynthAppTo(outdir, map[string]any{"aws:cdk:enable-path-metadata": true})
}
