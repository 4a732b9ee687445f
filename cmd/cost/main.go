// Command cost answers "how much will this cost me?" before `npx cdk deploy`. It reads
// the synthesized templates in cdk.out (synthesizing first when they are missing or
// older than the code) and prints, per stack, each billable resource with its unit
// price, the cost per hour while the hands-on runs, the cost per month while it is
// deployed and nobody uses it, the usage-priced parts, and what the README's own steps
// cost. Unknown resource types are listed as "not priced", never skipped.
//
//	bin/cost [--region R] [--json | --markdown] [--live] [--cdk-out DIR] [STACK...]
//
// Prices come from a table embedded in the program (ap-northeast-1 and us-east-1,
// dated in prices.go); --live asks the AWS Price List API for the EC2 instance prices.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/intro-aws-go/intro-aws-go/internal/cli"
	"github.com/intro-aws-go/intro-aws-go/internal/handsons"
	"github.com/intro-aws-go/intro-aws-go/internal/project"
)

func main() { cli.Main(newProgram()) }

// run is the whole client; it returns the exit code (the tests call it).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return newProgram().Run(ctx, args, strings.NewReader(""), stdout, stderr)
}

type options struct {
	markdown, live bool
	cdkOut         string
}

func newProgram() *cli.Program {
	o := &options{}
	return &cli.Program{
		Name:    "cost",
		Summary: "price every resource of the hands-on stacks before `npx cdk deploy`, from the synthesized templates",
		JSON:    true,
		Notes: "--region picks the price table: ap-northeast-1 (the default, or AWS_REGION) or us-east-1.\n" +
			"STACK... limits the estimate to those stacks (default: all).",
		Commands: []*cli.Command{{
			Args: "[STACK...]", MaxArgs: -1, Example: "cost Ec2ForDl\ncost --region us-east-1 --markdown",
			Flags: func(fs *flag.FlagSet) {
				fs.BoolVar(&o.markdown, "markdown", false, "print the summary table the README shows")
				fs.BoolVar(&o.live, "live", false, "ask the AWS Price List API for EC2 instance prices (needs credentials)")
				fs.StringVar(&o.cdkOut, "cdk-out", "", "read templates from this cloud assembly `DIR` as is (default: the project's cdk.out, synthesized when stale)")
			},
			Run: o.run,
		}},
	}
}

func (o *options) run(ctx context.Context, c *cli.Call) error {
	region := c.Region
	if region == "" {
		if region = os.Getenv("AWS_REGION"); region == "" {
			region = "ap-northeast-1"
		}
	}
	prices, ok := priceTable[region]
	if !ok {
		return cli.Usagef("no prices for %q: the table has %s (pass --region)", region, strings.Join(regions(), " and "))
	}
	selected, err := o.stacks(c)
	if err != nil {
		return err
	}
	if o.live {
		if prices, err = livePrices(ctx, c.Profile, prices, instanceTypes(selected)); err != nil {
			return err
		}
	}
	var estimates []estimate
	for _, s := range selected {
		e := estimateStack(s.name, s.template, region, prices, s.images)
		e.Options = s.options
		estimates = append(estimates, e)
	}
	switch {
	case c.JSON:
		enc := json.NewEncoder(c.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(estimates)
	case o.markdown:
		printMarkdown(c.Stdout, estimates, region, prices)
	default:
		for i, e := range estimates {
			if i > 0 {
				fmt.Fprintln(c.Stdout)
			}
			printEstimate(c.Stdout, e, prices, o.live)
		}
	}
	return nil
}

// stacks reads the cloud assembly (synthesized first when stale) and picks the
// stacks named on the command line.
func (o *options) stacks(c *cli.Call) ([]stackTemplate, error) {
	dir := o.cdkOut
	if dir == "" {
		root, err := project.Root()
		if err != nil {
			return nil, fmt.Errorf("%v, or pass --cdk-out", err)
		}
		dir = filepath.Join(root, "cdk.out")
		if err := synthIfStale(root, dir, c.Stderr); err != nil {
			return nil, err
		}
	}
	stacks, err := readAssembly(dir)
	if err != nil {
		return nil, err
	}
	return selectStacks(stacks, c.Args)
}

func regions() []string {
	var r []string
	for k := range priceTable {
		r = append(r, k)
	}
	sort.Strings(r)
	return r
}

// stackTemplate is one stack of the cloud assembly.
type stackTemplate struct {
	name     string
	template template
	images   int // container image assets
	// options are the -c options the app built this stack with ("key=value"), from the
	// stack's intro-aws-go:options metadata; nil when the assembly does not say.
	options []string
}

// metadata is a stack artifact's metadata: construct path → entries.
type metadata map[string][]struct {
	Type string `json:"type"`
	Data any    `json:"data"`
}

// optionsMetadata is the metadata type under which the app records each stack's
// options (main.go's OptionsMetadata).
const optionsMetadata = "intro-aws-go:options"

// readAssembly reads every stack's template and counts its image assets.
func readAssembly(dir string) ([]stackTemplate, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("no cloud assembly in %s: run `make synth` first", dir)
	}
	var manifest struct {
		Artifacts map[string]artifact `json:"artifacts"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		return nil, fmt.Errorf("%s/manifest.json: %v", dir, err)
	}
	var stacks []stackTemplate
	for id, a := range manifest.Artifacts {
		if a.Type != "aws:cloudformation:stack" {
			continue
		}
		s, err := readStack(dir, id, a)
		if err != nil {
			return nil, err
		}
		stacks = append(stacks, s)
	}
	sort.Slice(stacks, func(i, j int) bool { return courseOrder(stacks[i].name) < courseOrder(stacks[j].name) })
	return stacks, nil
}

// artifact is one entry of the cloud assembly's manifest.json.
type artifact struct {
	Type        string `json:"type"`
	DisplayName string `json:"displayName"`
	Properties  struct {
		TemplateFile string `json:"templateFile"`
	} `json:"properties"`
	Metadata               metadata `json:"metadata"`
	AdditionalMetadataFile string   `json:"additionalMetadataFile"`
}

// readStack reads one stack's options, template and image-asset count.
func readStack(dir, id string, a artifact) (stackTemplate, error) {
	s := stackTemplate{name: id}
	meta := a.Metadata
	if a.AdditionalMetadataFile != "" { // CDK writes each stack's metadata beside its template
		raw, err := os.ReadFile(filepath.Join(dir, a.AdditionalMetadataFile))
		if err != nil {
			return s, err
		}
		if err := json.Unmarshal(raw, &meta); err != nil {
			return s, fmt.Errorf("%s: %v", a.AdditionalMetadataFile, err)
		}
	}
	s.options = stackOptions(meta, id)
	raw, err := os.ReadFile(filepath.Join(dir, a.Properties.TemplateFile))
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(raw, &s.template); err != nil {
		return s, fmt.Errorf("%s: %v", a.Properties.TemplateFile, err)
	}
	s.images = imageAssets(filepath.Join(dir, id+".assets.json"))
	return s, nil
}

// stackOptions returns the -c options the app recorded on the stack: nil when the
// metadata does not say, an empty list when the stack was built without any.
func stackOptions(meta metadata, id string) []string {
	var opts []string
	for _, entry := range meta["/"+id] {
		if entry.Type != optionsMetadata {
			continue
		}
		opts = []string{}
		if list, ok := entry.Data.([]any); ok {
			for _, o := range list {
				opts = append(opts, fmt.Sprint(o))
			}
		}
	}
	return opts
}

// imageAssets counts the Docker image assets in a stack's assets file (0 when it
// has none or cannot be read: the images only add a line to the estimate).
func imageAssets(path string) int {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	var assets struct {
		DockerImages map[string]any `json:"dockerImages"`
	}
	if json.Unmarshal(raw, &assets) != nil {
		return 0
	}
	return len(assets.DockerImages)
}

// courseOrder sorts stacks as the course's chapters, unknown ones last.
func courseOrder(name string) string {
	for i, s := range handsons.Stacks {
		if s == name {
			return fmt.Sprintf("%02d", i)
		}
	}
	return "99" + name
}

func selectStacks(all []stackTemplate, names []string) ([]stackTemplate, error) {
	if len(names) == 0 {
		return all, nil
	}
	var out []stackTemplate
	for _, n := range names {
		found := false
		for _, s := range all {
			if s.name == n {
				out, found = append(out, s), true
			}
		}
		if !found {
			var known []string
			for _, s := range all {
				known = append(known, s.name)
			}
			return nil, cli.Usagef("no stack %q in the cloud assembly; the stacks are %s", n, strings.Join(known, ", "))
		}
	}
	return out, nil
}

// isStale: cdk.out is missing, or older than a source file the templates come from.
func isStale(root, dir string) (bool, error) {
	info, err := os.Stat(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return true, nil
	}
	newest, err := newestSource(root)
	if err != nil {
		return false, err
	}
	return newest.After(info.ModTime()), nil
}

// synthIfStale runs `cdk synth` when isStale.
func synthIfStale(root, dir string, stderr io.Writer) error {
	if stale, err := isStale(root, dir); err != nil || !stale {
		return err
	}
	fmt.Fprintln(stderr, "cost: cdk.out is missing or older than the code; synthesizing first (npx cdk synth, about a minute)...")
	cmd := exec.Command("npx", "--no-install", "cdk", "synth", "--quiet", "--no-lookups")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20")
	if out, err := cmd.CombinedOutput(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return errors.New("cdk.out is stale and npx is not installed: install Node.js, then run `make synth`")
		}
		return fmt.Errorf("synth failed (run `make synth` to see why): %s", lastLine(string(out)))
	}
	return nil
}

// newestSource is the latest modification among the files synth reads.
func newestSource(root string) (time.Time, error) {
	var newest time.Time
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if name == "node_modules" || name == "cdk.out" || (strings.HasPrefix(name, ".") && path != root) {
				return filepath.SkipDir
			}
			return nil
		}
		relevant := (strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go")) ||
			name == "cdk.json" || name == "go.mod" || strings.HasPrefix(path, filepath.Join(root, "handson")+string(filepath.Separator))
		if !relevant {
			return nil
		}
		if info, err := d.Info(); err == nil && info.ModTime().After(newest) {
			newest = info.ModTime()
		}
		return nil
	})
	return newest, err
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// instanceTypes lists the EC2 instance types the selected stacks use.
func instanceTypes(stacks []stackTemplate) []string {
	seen := map[string]bool{}
	for _, s := range stacks {
		for _, r := range s.template.Resources {
			switch r.Type {
			case "AWS::EC2::Instance":
				seen[str(r.Properties["InstanceType"])] = true
			case "AWS::Batch::ComputeEnvironment":
				for _, t := range list(dig(r.Properties, "ComputeResources", "InstanceTypes")) {
					seen[str(t)] = true
				}
			}
		}
	}
	var out []string
	for t := range seen {
		if t != "" {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// printEstimate writes one stack's table.
func printEstimate(w io.Writer, e estimate, p regionPrices, live bool) {
	source := "embedded prices of " + priceTableDate
	if live {
		source = "EC2 prices from the AWS Price List API, others embedded (" + priceTableDate + ")"
	}
	fmt.Fprintf(w, "%s in %s (%s), %s\n", e.Stack, e.Region, p.Name, source)
	fmt.Fprintf(w, "  options: %s\n", describeOptions(e))
	tw := tabwriter.NewWriter(w, 2, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  RESOURCE\tWHAT\tUNIT PRICE\tPER HOUR RUNNING\tPER MONTH IDLE")
	var free []string
	for _, l := range e.Lines {
		switch l.Kind {
		case kindHourly:
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", l.Resource, l.What, l.Unit, money(l.Hourly), money(l.Idle))
		case kindNotPriced:
			fmt.Fprintf(tw, "  %s\t%s: %s\tnot priced\t?\t?\n", l.Resource, l.Type, l.What)
		case kindFree:
			free = append(free, l.Resource)
		}
	}
	fmt.Fprintf(tw, "  TOTAL\t\t\t%s/h\t%s/month\n", money(e.Hourly), money(e.Idle))
	tw.Flush()
	usage := false
	for _, l := range e.Lines {
		if l.Kind == kindUsage {
			if !usage {
				fmt.Fprintln(w, "  usage-priced (billed only when used):")
				usage = true
			}
			fmt.Fprintf(w, "    %s: %s, %s; %s\n", l.Resource, l.What, l.Unit, l.Usage)
		}
	}
	if len(free) > 0 {
		fmt.Fprintf(w, "  free: %d resources (network, permissions, parameters, deploy-time helpers)\n", len(free))
	}
	for _, ex := range e.Examples {
		fmt.Fprintf(w, "  example: %s (%s): %s\n", ex.Name, ex.Detail, money(ex.Cost))
	}
	if len(e.Unpriced) > 0 {
		fmt.Fprintf(w, "  not priced: %s — the totals leave them out\n", strings.Join(e.Unpriced, ", "))
	}
}

// printMarkdown writes the summary table the README shows.
func printMarkdown(w io.Writer, estimates []estimate, region string, p regionPrices) {
	fmt.Fprintf(w, "Prices for %s (%s), embedded table of %s (`go run ./cmd/cost --region %s --markdown`):\n\n", region, p.Name, priceTableDate, region)
	fmt.Fprintln(w, "| Hands-on | while it runs, per hour | deployed and idle, per month | worked example |")
	fmt.Fprintln(w, "|---|---:|---:|---|")
	for _, e := range estimates {
		var ex []string
		for _, x := range e.Examples {
			ex = append(ex, fmt.Sprintf("%s: %s", x.Name, money(x.Cost)))
		}
		fmt.Fprintf(w, "| `%s` | %s | %s | %s |\n", e.Stack, money(e.Hourly), money(e.Idle), strings.Join(ex, "; "))
	}
}

// describeOptions says which -c options the priced template was built with: the prices
// are for that template, and `npx cdk deploy` with other options builds another one.
func describeOptions(e estimate) string {
	switch {
	case e.Options == nil:
		return "unknown (the cloud assembly does not record them)"
	case len(e.Options) == 0:
		return "the stack's defaults (no -c option reached " + e.Stack + " in the last synth)"
	}
	return "-c " + strings.Join(e.Options, " -c ") + " (from the last synth; synthesize with your deploy's -c options to price those)"
}
