// Command gen redraws docs/diagrams: it synthesizes the app (asset bundling skipped, no
// AWS account), builds one figure per hands-on from the templates, and writes each as
// DOT and as a self-contained SVG drawn by Graphviz. `make diagrams` runs it.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/intro-aws-go/intro-aws-go/internal/diagrams"
)

func main() {
	out := flag.String("out", "docs/diagrams", "folder of the figures")
	iconDir := flag.String("icons", "testtools/node_modules/aws-icons/icons", "the aws-icons package's icons folder")
	cdkOut := flag.String("cdk-out", "", "read this cloud assembly instead of synthesizing the app")
	flag.Parse()
	if err := run(*out, *iconDir, *cdkOut); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(out, iconDir, cdkOut string) error {
	tmp, err := os.MkdirTemp("", "intro-aws-go-diagrams-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if cdkOut == "" {
		cdkOut = filepath.Join(tmp, "cdk.out")
		if err := diagrams.Synth(cdkOut); err != nil {
			return err
		}
	}
	templates, err := diagrams.ReadTemplates(cdkOut, diagrams.Stacks())
	if err != nil {
		return err
	}
	icons := filepath.Join(tmp, "icons")
	if err := diagrams.PrepareIcons(iconDir, icons); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, h := range diagrams.HandsOns {
		g, err := diagrams.Build(h, templates)
		if err != nil {
			return err
		}
		for _, u := range g.Unknown {
			fmt.Fprintf(os.Stderr, "note: %s: %s is drawn as a plain box (internal/diagrams/graph.go knows no icon for it)\n", h.File, u)
		}
		dot := g.DOT()
		svg, err := diagrams.Render(dot, icons)
		if err != nil {
			return fmt.Errorf("%s: %w", h.File, err)
		}
		if err := os.WriteFile(filepath.Join(out, h.File+".dot"), []byte(dot), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, h.File+".svg"), svg, 0o644); err != nil {
			return err
		}
		fmt.Printf("%s/%s.svg  %d nodes, %d edges, %d KB\n", out, h.File, len(g.Nodes), len(g.Edges), len(svg)/1024)
	}
	return nil
}
