package main

// The README states numbers outside the generated cost tables: prices in each hands-on's
// cost table, the sizes the stacks set, the worked examples' costs, the built-in
// problems' count, the date of the prices. Each is checked here against the code (the
// price table, the synthesized templates, `cost`'s own examples), so a change on one
// side fails until the other follows.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// readmeText is the README with every run of white space (line breaks too) made one
// space, so a number may wrap in the prose.
func readmeText(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(moduleRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(raw)), " ")
}

func wantInReadme(t *testing.T, readme, why string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(readme, w) {
			t.Errorf("README lacks %q (%s)", w, why)
		}
	}
}

// exampleCost is cost's worked example of stack whose name starts with prefix.
func exampleCost(t *testing.T, e estimate, prefix string) float64 {
	t.Helper()
	for _, ex := range e.Examples {
		if strings.HasPrefix(ex.Name, prefix) {
			return ex.Cost
		}
	}
	t.Fatalf("%s has no example %q: %+v", e.Stack, prefix, e.Examples)
	return 0
}

func TestReadmeNumbersAreTheCodes(t *testing.T) {
	readme := readmeText(t)
	tokyo, us := priceTable["ap-northeast-1"], priceTable["us-east-1"]

	// The date of the prices: every cost heading names the price table's month, and no
	// other year's prices are quoted.
	month, err := time.Parse("2006-01", priceTableDate)
	if err != nil {
		t.Fatal(err)
	}
	date := month.Format("January 2006")
	headings := regexp.MustCompile(`### Cost[^|#]*?\) `).FindAllString(readme, -1)
	if len(headings) < 6 {
		t.Fatalf("found %d cost headings: %q", len(headings), headings)
	}
	for _, h := range headings {
		if !strings.Contains(h, date) {
			t.Errorf("cost heading %q does not say %q, the date of the price table (prices.go)", h, date)
		}
	}
	if m := regexp.MustCompile(`(list )?prices of 20\d\d|20\d\d list prices`).FindString(readme); m != "" {
		t.Errorf("README quotes %q: all prices are of %s", m, date)
	}

	// Prices quoted in the hands-ons' own tables.
	wantInReadme(t, readme, "prices.go",
		fmt.Sprintf("| `t3.micro` instance | $%g / h | $%g / h |", tokyo.EC2Hourly["t3.micro"], us.EC2Hourly["t3.micro"]),
		fmt.Sprintf("| `g4dn.xlarge` on-demand | $%g / h | $%g / h |", tokyo.EC2Hourly["g4dn.xlarge"], us.EC2Hourly["g4dn.xlarge"]),
		fmt.Sprintf("| public IPv4 address | $%g / h | $%g / h |", tokyo.PublicIPv4Hourly, us.PublicIPv4Hourly),
		fmt.Sprintf("| Lambda requests | $%.2f per million | $%.2f per million |", tokyo.LambdaPerMillion, us.LambdaPerMillion),
		fmt.Sprintf("| HTTP API requests | $%.2f per million | $%.2f per million |", tokyo.HTTPAPIPerMillion, us.HTTPAPIPerMillion),
		fmt.Sprintf("Tokyo $%g per vCPU-hour and $%g per GB-hour; N. Virginia $%g and $%g", tokyo.FargateArmVCPUHour, tokyo.FargateArmGBHour, us.FargateArmVCPUHour, us.FargateArmGBHour),
		fmt.Sprintf("| S3 storage / PUT requests | $%g per GB-month / $%g per 1,000 | $%g per GB-month / $%g per 1,000 |", tokyo.S3GBMonth, tokyo.S3PutPer1000, us.S3GBMonth, us.S3PutPer1000),
	)

	// The worked examples quoted outside the generated tables equal cost's.
	est := map[string]map[string]estimate{"ap-northeast-1": estimates(t, "ap-northeast-1"), "us-east-1": estimates(t, "us-east-1")}
	qa := func(region, prefix string) string {
		return money(exampleCost(t, est[region]["EcsClusterQaBot"], prefix))
	}
	wantInReadme(t, readme, "cost's EcsClusterQaBot examples",
		fmt.Sprintf("| **one `ask`** (one task for about a minute, public IPv4 included, and the table) | **%s (≈ ¥", qa("ap-northeast-1", "one `ask`")),
		fmt.Sprintf(" | **%s** |", qa("us-east-1", "one `ask`")),
		fmt.Sprintf("| **`ask-many`** (the %d built-in problems in one task of about two minutes) | **%s** | **%s** |",
			defaultProblems, qa("ap-northeast-1", "`ask-many`"), qa("us-east-1", "`ask-many`")))
	wantInReadme(t, readme, "what bills while deployed: cost's idle month in Tokyo",
		fmt.Sprintf("a forgotten `MyFirstEc2` costs %s a month", money(est["ap-northeast-1"]["MyFirstEc2"].Idle)),
		fmt.Sprintf("`Ec2ForDl`, after its idle auto-stop, %s a month", money(est["ap-northeast-1"]["Ec2ForDl"].Idle)))
	// The same warning at the top of the Japanese README (whose other numbers
	// internal/project's TestReadmeJaFollowsReadme keeps equal to this README's).
	ja, err := os.ReadFile(filepath.Join(moduleRoot(t), "README.ja.md"))
	if err != nil {
		t.Fatal(err)
	}
	wantInReadme(t, strings.Join(strings.Fields(string(ja)), " "), "README.ja.md: cost's idle month in Tokyo",
		fmt.Sprintf("`MyFirstEc2` を消し忘れると月 %s、`Ec2ForDl` は待機時の自動停止の後も、ディスクとアラームで月 %s",
			money(est["ap-northeast-1"]["MyFirstEc2"].Idle), money(est["ap-northeast-1"]["Ec2ForDl"].Idle)))

	// The built-in problems: as many as problems.json holds, in words and in numbers.
	raw, err := os.ReadFile(filepath.Join(moduleRoot(t), "cmd", "runtask", "problems.json"))
	if err != nil {
		t.Fatal(err)
	}
	var problems []map[string]any
	if err := json.Unmarshal(raw, &problems); err != nil {
		t.Fatal(err)
	}
	if len(problems) != defaultProblems {
		t.Errorf("problems.json has %d problems, cost's ask-many example counts %d", len(problems), defaultProblems)
	}
	words := map[int]string{8: "eight", 9: "nine", 10: "ten", 11: "eleven", 12: "twelve"}
	wantInReadme(t, readme, "problems.json", words[len(problems)]+" we wrote for this project")

	// Sizes the README states, as the templates set them.
	stacks, err := readAssembly(synthesized(t))
	if err != nil {
		t.Fatal(err)
	}
	only := func(stack, typ string) map[string]any {
		t.Helper()
		var found []map[string]any
		for _, s := range stacks {
			if s.name != stack {
				continue
			}
			for id, r := range s.template.Resources {
				if r.Type == typ && !isCDKHelper(id, r.Properties) {
					found = append(found, r.Properties)
				}
			}
		}
		if len(found) != 1 {
			t.Fatalf("%s has %d %s, want 1", stack, len(found), typ)
		}
		return found[0]
	}
	task := only("EcsClusterQaBot", "AWS::ECS::TaskDefinition")
	wantInReadme(t, readme, "the QA task definition",
		fmt.Sprintf("%g vCPU / %s MiB on Graviton (arm64)", num(task["Cpu"], 0)/1024, str(task["Memory"])))
	if arch := str(dig(task, "RuntimePlatform", "CpuArchitecture")); arch != "ARM64" {
		t.Errorf("QA task architecture %q, the README says Graviton (arm64)", arch)
	}
	job := only("SimpleBatch", "AWS::Batch::JobDefinition")
	res := map[string]string{}
	for _, r := range list(dig(job, "ContainerProperties", "ResourceRequirements")) {
		res[str(dig(r, "Type"))] = str(dig(r, "Value"))
	}
	wantInReadme(t, readme, "the Batch job definition",
		fmt.Sprintf("%s vCPU, %s GPU, %s MiB as in the course", res["VCPU"], res["GPU"], res["MEMORY"]))
	ce := only("SimpleBatch", "AWS::Batch::ComputeEnvironment")
	wantInReadme(t, readme, "the Batch compute environment",
		fmt.Sprintf("scaling from **%g vCPUs** (nothing runs, nothing bills, while the queue is empty) up to %g vCPUs",
			num(dig(ce, "ComputeResources", "MinvCpus"), -1), num(dig(ce, "ComputeResources", "MaxvCpus"), -1)),
		fmt.Sprintf("(default %g; each job takes %s)", num(dig(ce, "ComputeResources", "MaxvCpus"), -1), res["VCPU"]))
	fn := only("SimpleLambda", "AWS::Lambda::Function")
	wantInReadme(t, readme, "the SimpleLambda function",
		fmt.Sprintf("`provided.al2023` on arm64/Graviton, %g MB, %g s)", num(fn["MemorySize"], 0), num(fn["Timeout"], 0)))
	inst := only("MyFirstEc2", "AWS::EC2::Instance")
	wantInReadme(t, readme, "MyFirstEc2's instance",
		fmt.Sprintf("one `%s` instance on the newest Amazon Linux 2023", str(inst["InstanceType"])),
		fmt.Sprintf("| %g GiB gp3 root volume |", num(dig(list(inst["BlockDeviceMappings"])[0], "Ebs", "VolumeSize"), 0)))
}

// What the clients write into the checkout by default is ignored by git.
func TestDefaultOutputsAreIgnoredByGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	root := moduleRoot(t)
	if _, err := os.Stat(filepath.Join(root, ".git")); err != nil {
		t.Skip("not a git checkout")
	}
	for _, path := range []string{"simplebatch-results/metrics_lr0.1000_m0.5000.csv", "downloads/haiku.png"} {
		cmd := exec.Command("git", "check-ignore", "-q", path)
		cmd.Dir = root
		if err := cmd.Run(); err != nil {
			t.Errorf("git does not ignore %s (the default output of sweep and serverless download): %v", path, err)
		}
	}
}
