package diagrams

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/intro-aws-go/intro-aws-go/internal/project"
)

var (
	root      string
	assembly  string // the app synthesized once for every test here
	committed string // docs/diagrams
)

func TestMain(m *testing.M) {
	var err error
	if root, err = project.Root(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	committed = filepath.Join(root, "docs", "diagrams")
	dir, err := os.MkdirTemp("", "intro-aws-go-diagrams-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	assembly = filepath.Join(dir, "cdk.out")
	if err := Synth(assembly); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func templates(t *testing.T) map[string]*Template {
	t.Helper()
	ts, err := ReadTemplates(assembly, Stacks())
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// The staleness test: the committed figures are what the app synthesizes now.
func TestCommittedDiagramsMatchTheApp(t *testing.T) {
	if err := Check(committed, templates(t)); err != nil {
		t.Fatal(err)
	}
}

// A stack that gains a resource makes its committed figure stale, and the message
// says what to run.
func TestStaleWhenAStackGainsAResource(t *testing.T) {
	ts := templates(t)
	ts["MyFirstEc2"].Resources["ExtraTable0123ABCD"] = Resource{
		Type:       "AWS::DynamoDB::Table",
		Properties: map[string]any{"KeySchema": []any{map[string]any{"AttributeName": "pk", "KeyType": "HASH"}}},
		Metadata:   map[string]any{"aws:cdk:path": "MyFirstEc2/ExtraTable/Resource"},
	}
	err := Check(committed, ts)
	if err == nil {
		t.Fatal("Check passed although MyFirstEc2 gained a table that handson1-myfirstec2.dot does not draw")
	}
	for _, want := range []string{"handson1-myfirstec2.dot differs from the app", "run `make diagrams`"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "handson2") {
		t.Errorf("error names figures that did not change: %v", err)
	}
	g, err := Build(HandsOns[0], ts)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(g.DOT(), `"MyFirstEc2/ExtraTable"`) {
		t.Error("the regenerated figure does not draw the new table")
	}

	// A type the package does not know is drawn too (as a plain box) and named.
	ts["MyFirstEc2"].Resources["ExtraTopic0123ABCD"] = Resource{Type: "AWS::SNS::Topic",
		Metadata: map[string]any{"aws:cdk:path": "MyFirstEc2/ExtraTopic/Resource"}}
	if g, err = Build(HandsOns[0], ts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(g.DOT(), `"MyFirstEc2/ExtraTopic"`) || fmt.Sprint(g.Unknown) != "[MyFirstEc2/ExtraTopic (AWS::SNS::Topic)]" {
		t.Errorf("unknown type: drawn %v, Unknown = %v", strings.Contains(g.DOT(), "ExtraTopic"), g.Unknown)
	}
}

// A DOT that was regenerated without redrawing its SVG is stale too.
func TestStaleWhenTheSVGWasNotRedrawn(t *testing.T) {
	dir := t.TempDir()
	entries, err := os.ReadDir(committed)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(committed, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == "handson6-bashoutter.svg" {
			raw = []byte(strings.Replace(string(raw), "drawn from DOT sha256 ", "drawn from DOT sha256 0", 1))
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	err = Check(dir, templates(t))
	if err == nil || !strings.Contains(err.Error(), "handson6-bashoutter.svg was not drawn from handson6-bashoutter.dot") {
		t.Fatalf("Check = %v, want the Bashoutter SVG reported", err)
	}
}

// hashed matches a logical ID's hash suffix (the names must be the construct's).
var hashed = regexp.MustCompile(`[0-9A-F]{8}(\n|$)`)

// What each figure must make clear, checked on the graph built from the app.
func TestFiguresShowWhatALearnerDeploys(t *testing.T) {
	ts := templates(t)
	graphs := map[string]*Graph{}
	for _, h := range HandsOns {
		g, err := Build(h, ts)
		if err != nil {
			t.Fatal(err)
		}
		graphs[h.File] = g
		for _, n := range g.Nodes {
			if hashed.MatchString(n.Label) {
				t.Errorf("%s: node label %q shows a logical ID, not the construct's name", h.File, n.Label)
			}
			if strings.HasPrefix(n.Type, "AWS::IAM::") || n.Type == "AWS::CDK::Metadata" || n.Type == "AWS::EC2::RouteTable" {
				t.Errorf("%s draws CDK wiring %s (%s)", h.File, n.ID, n.Type)
			}
		}
	}
	byType := func(g *Graph, typ string) []*Node {
		var out []*Node
		for _, n := range g.Nodes {
			if n.Type == typ {
				out = append(out, n)
			}
		}
		return out
	}
	clusterKinds := func(g *Graph, n *Node) []string { // innermost first
		var kinds []string
		for p := n.Parent; p != ""; {
			var c *Cluster
			for _, x := range g.Clusters {
				if x.ID == p {
					c = x
				}
			}
			if c == nil {
				t.Fatalf("%s: node %s has an unknown parent %s", g.HandsOn.File, n.ID, p)
			}
			kinds = append(kinds, c.Kind)
			p = c.Parent
		}
		return kinds
	}
	edge := func(g *Graph, from, to *Node, label string) bool {
		for _, e := range g.Edges {
			if e.From == from.ID && e.To == to.ID && strings.Contains(strings.Join(e.Labels, "\n"), label) {
				return true
			}
		}
		return false
	}
	one := func(g *Graph, typ string) *Node {
		ns := byType(g, typ)
		if len(ns) != 1 {
			t.Fatalf("%s: %d nodes of %s, want 1", g.HandsOn.File, len(ns), typ)
		}
		return ns[0]
	}
	inNetwork := []string{"sg", "subnet", "vpc", "stack", "cloud"}

	for _, file := range []string{"handson1-myfirstec2", "handson2-ec2fordl"} {
		g := graphs[file]
		inst, igw := one(g, "AWS::EC2::Instance"), one(g, "AWS::EC2::InternetGateway")
		if got := clusterKinds(g, inst); fmt.Sprint(got) != fmt.Sprint(inNetwork) {
			t.Errorf("%s: the instance sits in %v, want %v", file, got, inNetwork)
		}
		if !edge(g, igw, inst, "0.0.0.0/0") {
			t.Errorf("%s: no route from the internet gateway to the instance", file)
		}
		if !edge(g, &Node{ID: "client"}, igw, "Session Manager") {
			t.Errorf("%s: the learner's computer does not reach the gateway", file)
		}
	}
	g := graphs["handson2-ec2fordl"]
	if !edge(g, one(g, "AWS::CloudWatch::Alarm"), one(g, "AWS::EC2::Instance"), "stops it when idle") {
		t.Error("Ec2ForDl: the idle alarm does not stop the instance")
	}

	g = graphs["handson3-ecsclusterqabot"]
	task, igw, table := one(g, "AWS::ECS::TaskDefinition"), one(g, "AWS::EC2::InternetGateway"), one(g, "AWS::DynamoDB::Table")
	if got := clusterKinds(g, task); fmt.Sprint(got) != fmt.Sprint(inNetwork) {
		t.Errorf("QA bot: the task sits in %v, want %v", got, inNetwork)
	}
	if !edge(g, task, igw, "0.0.0.0/0") || !edge(g, igw, table, "reads, writes") {
		t.Error("QA bot: the task's way to its table (through the internet gateway) is not drawn")
	}
	if !edge(g, igw, one(g, "AWS::Logs::LogGroup"), "writes logs") || !edge(g, one(g, "AWS::ECS::Cluster"), task, "runs one task") {
		t.Error("QA bot: logs or the cluster's task missing")
	}
	if !strings.Contains(table.Label, "EcsClusterQaBot-Table") || !strings.Contains(table.Label, "key item_id") {
		t.Errorf("QA bot: table label %q lacks the course's name and key", table.Label)
	}
	if ssm := byType(g, "ssm"); len(ssm) != 1 || !strings.Contains(ssm[0].Label, "TABLE_NAME") {
		t.Errorf("QA bot: the SSM parameters node is missing or does not list TABLE_NAME: %v", ssm)
	}

	g = graphs["handson4-simplebatch"]
	ce, jd, bucket := one(g, "AWS::Batch::ComputeEnvironment"), one(g, "AWS::Batch::JobDefinition"), one(g, "AWS::S3::Bucket")
	if !edge(g, one(g, "AWS::Batch::JobQueue"), ce, "places jobs on") || !edge(g, jd, bucket, "writes") {
		t.Error("SimpleBatch: queue → compute environment or job → bucket missing")
	}
	if !strings.Contains(jd.Label, "4 vCPU") || !strings.Contains(jd.Label, "1 GPU") || !strings.Contains(jd.Label, "12000 MiB") {
		t.Errorf("SimpleBatch: job definition label %q lacks the course's size", jd.Label)
	}
	if !edge(g, one(g, "Custom::S3AutoDeleteObjects"), bucket, "empties") {
		t.Error("SimpleBatch: the bucket's auto-delete handler is not drawn")
	}

	g = graphs["handson5-serverless"]
	for _, typ := range []string{"AWS::Lambda::Function", "AWS::DynamoDB::Table", "AWS::S3::Bucket"} {
		if !edge(g, &Node{ID: "client"}, one(g, typ), "") {
			t.Errorf("serverless: the client does not use the %s", typ)
		}
	}

	g = graphs["handson6-bashoutter"]
	api, site := one(g, "AWS::ApiGatewayV2::Api"), one(g, "AWS::S3::Bucket")
	routes := map[string]bool{}
	for _, fn := range byType(g, "AWS::Lambda::Function") {
		for _, e := range g.Edges {
			if e.From == api.ID && e.To == fn.ID {
				for _, l := range e.Labels {
					routes[l] = true
				}
			}
		}
		if !edge(g, fn, one(g, "AWS::DynamoDB::Table"), "") {
			t.Errorf("Bashoutter: %s does not reach the table", fn.ID)
		}
	}
	for _, r := range []string{"GET /haiku", "POST /haiku", "PATCH /haiku/{item_id}", "DELETE /haiku/{item_id}"} {
		if !routes[r] {
			t.Errorf("Bashoutter: route %s → Lambda not drawn (have %v)", r, routes)
		}
	}
	if !edge(g, one(g, "AWS::CloudFront::Distribution"), site, "origin access control") {
		t.Error("Bashoutter: CloudFront → S3 not drawn")
	}
}

// A link of HandsOns that names a resource the app lacks fails the build.
func TestALinkToAMissingResourceFails(t *testing.T) {
	h := HandsOns[0]
	h.Links = append([]Link{}, h.Links...)
	h.Links = append(h.Links, Link{"client", "AWS::DynamoDB::Table", "reads"})
	if _, err := Build(h, templates(t)); err == nil || !strings.Contains(err.Error(), "AWS::DynamoDB::Table") {
		t.Fatalf("Build = %v, want an error naming the missing table", err)
	}
}

// The icons come from the pinned npm package (no download at run time), and a
// rendered figure is self-contained.
func TestIconsShipInTheNpmPackageAndRender(t *testing.T) {
	icons := filepath.Join(root, project.TestToolsDir, "node_modules", "aws-icons", "icons")
	pkg, err := os.ReadFile(filepath.Join(root, project.TestToolsDir, "node_modules", "aws-icons", "package.json"))
	if err != nil {
		t.Fatalf("%v: run npm ci (make setup)", err)
	}
	var meta struct{ Version, License string }
	if err := json.Unmarshal(pkg, &meta); err != nil || meta.License != "MIT" {
		t.Fatalf("aws-icons package.json: %v, license %q", err, meta.License)
	}
	prepared := t.TempDir()
	if err := PrepareIcons(icons, prepared); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("dot"); err != nil {
		if os.Getenv("REQUIRE_GRAPHVIZ") != "" {
			t.Fatal("REQUIRE_GRAPHVIZ is set but Graphviz's dot is not installed")
		}
		t.Skip("Graphviz's dot is not installed (make diagrams installs it); rendering not checked")
	}
	dot, err := os.ReadFile(filepath.Join(committed, "handson6-bashoutter.dot"))
	if err != nil {
		t.Fatal(err)
	}
	svg, err := Render(string(dot), prepared)
	if err != nil {
		t.Fatal(err)
	}
	s := string(svg)
	if n, want := strings.Count(s, `xlink:href="data:image/svg+xml;base64,`), strings.Count(string(dot), `<IMG SRC=`); n != want || want == 0 {
		t.Errorf("rendered SVG inlines %d icons, want %d (one per node with an icon)", n, want)
	}
	if strings.Contains(s, `xlink:href="/`) || strings.Contains(s, prepared) {
		t.Error("rendered SVG refers to local files")
	}
}

// Each hands-on section of the READMEs (README.ja.md too, once it exists) shows its
// figure near the top. A section is a "## " heading naming "#N" and the stack.
func TestReadmesShowEachFigure(t *testing.T) {
	for _, name := range []string{"README.md", "README.ja.md"} {
		raw, err := os.ReadFile(filepath.Join(root, name))
		if os.IsNotExist(err) && name != "README.md" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		sections := strings.Split(string(raw), "\n## ")
		for i, h := range HandsOns {
			img := "](docs/diagrams/" + h.File + ".svg)"
			found := false
			for _, sec := range sections {
				lines := strings.Split(sec, "\n")
				if !strings.Contains(lines[0], fmt.Sprintf("#%d", i+1)) || !strings.Contains(lines[0], h.Stacks[0]) {
					continue
				}
				if len(lines) > 12 {
					lines = lines[:12]
				}
				found = strings.Contains(strings.Join(lines, "\n"), img)
			}
			if !found {
				t.Errorf("%s: the section of hands-on #%d does not show %s near its top", name, i+1, img)
			}
		}
	}
}
