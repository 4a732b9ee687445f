// Command synthbench is `make bench-synth`: it times `npx cdk synth` of the whole app
// against a one-stack, one-bucket CDK app in plain JavaScript (bench/synth-baseline),
// both run by the CDK CLI pinned in the root package.json, alternating, and prints the
// medians and their ratio. Then it profiles one synthesis of the app and prints where
// the time goes: the Go build, the app's own phases (INTRO_AWS_PROFILE=1, package
// internal/synthprofile), and a CPU profile of the jsii Node.js process (node
// --cpu-prof, through JSII_NODE) summed by what the code was doing.
//
// The machine's load average is printed with the numbers: on a shared machine the
// absolute times are noisy, and alternating keeps the ratio fair.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

func main() {
	n := flag.Int("n", 5, "rounds (each round synthesizes the app and the baseline once)")
	profile := flag.Bool("profile", true, "profile one more synthesis of the app")
	stacks := flag.String("stacks", "", "stacks to synthesize (space-separated; default all)")
	flag.Parse()
	if err := run(*n, *profile, strings.Fields(*stacks)); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(n int, profile bool, stacks []string) error {
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	baseline := filepath.Join(root, "bench", "synth-baseline")
	if err := writeBaselineConfig(root, baseline); err != nil {
		return err
	}
	cdk := filepath.Join(root, "node_modules", ".bin", "cdk")
	if _, err := os.Stat(cdk); err != nil {
		return fmt.Errorf("the pinned CDK CLI is not installed: run make setup (%v)", err)
	}
	fmt.Printf("load before: %s\n", loadavg())
	synthArgs := append([]string{"synth", "--quiet", "--no-lookups"}, stacks...)
	// Three series: the app; the baseline as CDK runs it by default (with its built-in
	// CloudFormation validation, which the app skips unless CDK_VALIDATION=true); and the
	// baseline without that validation, the like-for-like comparison.
	series := []struct {
		name, dir string
		args      []string
	}{
		{"app", root, synthArgs},
		{"baseline", baseline, []string{"synth", "--quiet", "--no-lookups"}},
		{"baseline-no-validation", baseline, []string{"synth", "--quiet", "--no-lookups", "--no-validation"}},
	}
	wall := make([][]float64, len(series))
	cpu := make([][]float64, len(series))
	for i := 0; i < n; i++ {
		for j := range series {
			k := (i + j) % len(series) // rotate the order from round to round
			d, c, err := timeCPU(series[k].dir, cdk, series[k].args...)
			if err != nil {
				return fmt.Errorf("%s: %w", series[k].name, err)
			}
			wall[k], cpu[k] = append(wall[k], d), append(cpu[k], c)
			fmt.Printf("round %d %-24s %6.2f s wall %6.2f s CPU  (load %s)\n", i+1, series[k].name, d, c, loadavg())
		}
	}
	ma, mb, mc := median(wall[0]), median(wall[1]), median(wall[2])
	fmt.Printf("\nsynth wall time, median of %d: app %.2f s; one-bucket JavaScript app %.2f s (ratio %.2f); the same without validation %.2f s (ratio %.2f)\n",
		n, ma, mb, ma/mb, mc, ma/mc)
	ca, cb, cc := median(cpu[0]), median(cpu[1]), median(cpu[2])
	fmt.Printf("CPU time (user+system of all processes), median of %d: app %.2f s; baseline %.2f s (ratio %.2f); without validation %.2f s (ratio %.2f)\n",
		n, ca, cb, ca/cb, cc, ca/cc)
	fmt.Printf("load after: %s\n", loadavg())
	if !profile {
		return nil
	}
	return profileOnce(root, cdk, synthArgs)
}

// writeBaselineConfig gives the baseline the app's cdk.json context (feature flags),
// so both apps synthesize under the same settings.
func writeBaselineConfig(root, baseline string) error {
	raw, err := os.ReadFile(filepath.Join(root, "cdk.json"))
	if err != nil {
		return err
	}
	var cfg map[string]any
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return err
	}
	out := map[string]any{"app": "node app.js", "notices": false, "context": cfg["context"]}
	b, _ := json.MarshalIndent(out, "", "  ")
	return os.WriteFile(filepath.Join(baseline, "cdk.json"), append(b, '\n'), 0o644)
}

func timeCmd(dir string, env []string, name string, args ...string) (float64, string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20")
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	t := time.Now()
	err := cmd.Run()
	d := time.Since(t).Seconds()
	if err != nil {
		return d, out.String(), fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return d, out.String(), nil
}

// timeCPU runs the command and returns its wall time and the CPU time (user and
// system) of it and every descendant it waited for, in seconds.
func timeCPU(dir, name string, args ...string) (wall, cpu float64, err error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	t := time.Now()
	err = cmd.Run()
	wall = time.Since(t).Seconds()
	if err != nil {
		return 0, 0, fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
	}
	cpu = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	return wall, cpu, nil
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// profileOnce synthesizes the app once more with the phase timers on and the jsii
// Node.js process under node --cpu-prof.
func profileOnce(root, cdk string, synthArgs []string) error {
	tmp, err := os.MkdirTemp("", "synthbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	fmt.Printf("\nprofile of one synthesis of the app (load %s)\n", loadavg())

	// The app command as cdk.json runs it, without running the app: how long the CLI
	// waits before the app starts when nothing changed.
	appCmd, err := appCommand(root)
	if err != nil {
		return err
	}
	buildOnly := appCmd + " --build-only"
	if appCmd == "go run ." {
		buildOnly = "go run -exec true ."
	}
	d, _, err := timeCmd(root, nil, "sh", "-c", buildOnly)
	if err != nil {
		return err
	}
	fmt.Printf("  %-58s %6.0f ms  (%s)\n", "go build of the app, nothing changed", d*1000, buildOnly)

	profDir := filepath.Join(tmp, "prof")
	if err := os.MkdirAll(profDir, 0o755); err != nil {
		return err
	}
	wrapper := filepath.Join(tmp, "node-cpu-prof")
	script := "#!/bin/sh\nexec node --cpu-prof --cpu-prof-dir=" + profDir + " \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		return err
	}
	total, out, err := timeCmd(root, []string{"INTRO_AWS_PROFILE=1", "JSII_NODE=" + wrapper}, cdk, synthArgs...)
	if err != nil {
		return err
	}
	fmt.Printf("  %-58s %6.0f ms\n", "npx cdk synth, wall (node profiling on: slower)", total*1000)
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		i := strings.Index(line, "intro-aws-profile: ")
		if i < 0 {
			continue
		}
		f := strings.Split(line[i+len("intro-aws-profile: "):], "\t")
		if len(f) != 3 {
			continue
		}
		ms, _ := strconv.Atoi(f[1])
		extra := ""
		if f[2] != "1" {
			extra = "  (" + f[2] + " times)"
		}
		fmt.Printf("  app: %-53s %6d ms%s\n", f[0], ms, extra)
	}
	if strings.Contains(out, "Bundling asset") {
		fmt.Printf("  bundled: %s\n", strings.Join(bundled(out), ", "))
	}
	profiles, _ := filepath.Glob(filepath.Join(profDir, "*.cpuprofile"))
	if len(profiles) == 0 {
		return errors.New("no CPU profile of the jsii process was written")
	}
	// jsii's runtime starts a child Node.js process that runs the kernel: the largest
	// profile is the kernel's.
	sort.Slice(profiles, func(i, j int) bool { return size(profiles[i]) > size(profiles[j]) })
	cats, wall, err := summarize(profiles[0])
	if err != nil {
		return err
	}
	fmt.Printf("  jsii kernel (Node.js) CPU profile, %.0f ms from its start to its end:\n", wall)
	type kv struct {
		k string
		v float64
	}
	var rows []kv
	for k, v := range cats {
		rows = append(rows, kv{k, v})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].v > rows[j].v })
	for _, r := range rows {
		fmt.Printf("    %-56s %6.0f ms\n", r.k, r.v)
	}
	return nil
}

func size(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func bundled(out string) []string {
	var names []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if s, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "Bundling asset "); ok {
			names = append(names, strings.TrimSuffix(s, "..."))
		}
	}
	return names
}

// appCommand is cdk.json's "app".
func appCommand(root string) (string, error) {
	raw, err := os.ReadFile(filepath.Join(root, "cdk.json"))
	if err != nil {
		return "", err
	}
	var cfg struct{ App string }
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return "", err
	}
	return cfg.App, nil
}
