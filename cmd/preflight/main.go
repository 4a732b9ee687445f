// Command preflight checks, before `npx cdk deploy`, that the account may start the
// hands-on's instances: the vCPU quota of the instance family (on-demand or spot),
// counting what already runs, and that the zone the stack uses offers the type. New
// accounts start with a GPU quota of 0, and CloudFormation only says VcpuLimitExceeded
// after minutes of waiting; this says which quota to raise, by how much, and how. It
// also reads the public SSM parameters the stack takes its image from (images.go).
//
//	bin/preflight [--spot] [--instance-type TYPE] [--count N] [--zone ZONE] [--dlami-parameter P] [--region R] [--profile P] [STACK]
//
// STACK is Ec2ForDl (the default), SimpleBatch or MyFirstEc2. Exit status: 0 ok, 1 the
// deploy would fail (quota, zone or image) or the check could not run, 2 bad usage.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/intro-aws-go/intro-aws-go/internal/cli"
	"github.com/intro-aws-go/intro-aws-go/internal/handsons"
)

func main() { cli.Main(newProgram()) }

// run is the whole client; it returns the exit code (the tests call it).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return newProgram().Run(ctx, args, strings.NewReader(""), stdout, stderr)
}

const (
	exitOK      = cli.ExitOK
	exitProblem = cli.ExitFailed
)

// options are the flags.
type options struct {
	spot         bool
	instanceType string
	count        int
	zone         string
	dlami        string
}

func newProgram() *cli.Program {
	o := &options{}
	return &cli.Program{
		Name:       "preflight",
		Summary:    "check, before `npx cdk deploy`, the EC2 vCPU quota, the zone and the image parameters for a hands-on's instances (" + strings.Join(stackNames(), ", ") + "; default Ec2ForDl)",
		ExitOK:     "the deploy can start its instances",
		ExitFailed: "the deploy would fail (each line says what to change), or the check could not run",
		Commands: []*cli.Command{{
			Args: "[STACK]", MaxArgs: 1, Example: "preflight Ec2ForDl\npreflight --spot --count 9 SimpleBatch",
			Flags: func(fs *flag.FlagSet) {
				fs.BoolVar(&o.spot, "spot", false, "check the spot quota (deploy with -c spot=true)")
				fs.StringVar(&o.instanceType, "instance-type", "", "instance `TYPE` to check (default: the stack's; deploy with -c instance_type=...)")
				fs.IntVar(&o.count, "count", 1, "how many instances must run at once")
				fs.StringVar(&o.zone, "zone", "", "the `ZONE` the stack will use (deploy with -c availability_zone=...); default: the region's first")
				fs.StringVar(&o.dlami, "dlami-parameter", "", "Ec2ForDl: the image `PARAMETER` you deploy with (-c dlami_parameter=...); default: the stack's for the type's architecture")
			},
			Run: o.run,
		}},
	}
}

func (o *options) run(ctx context.Context, c *cli.Call) error {
	stack := handsons.Ec2ForDl
	if len(c.Args) == 1 {
		stack = c.Args[0]
	}
	defaultType, known := handsons.EC2Stacks[stack]
	if !known {
		return cli.Usagef("unknown stack %q: preflight checks %s", stack, strings.Join(stackNames(), ", "))
	}
	if o.instanceType == "" {
		o.instanceType = defaultType
	}
	if o.dlami != "" && stack != handsons.Ec2ForDl {
		return cli.Usagef("--dlami-parameter is Ec2ForDl's image (-c dlami_parameter); %s does not read it", stack)
	}
	if o.count < 1 {
		return cli.Usagef("--count must be at least 1, got %d", o.count)
	}
	cfg, err := c.AWS(ctx)
	if err != nil {
		return err
	}
	req := request{Stack: stack, InstanceType: o.instanceType, Count: o.count, Spot: o.spot, Region: cfg.Region, Zone: o.zone, DlamiParameter: o.dlami}
	res, err := check(ctx, ec2.NewFromConfig(cfg), servicequotas.NewFromConfig(cfg), ssm.NewFromConfig(cfg), req)
	if err != nil {
		return err
	}
	report(c.Stdout, req, res)
	if res.Verdict != verdictOK {
		return cli.ErrReported
	}
	return nil
}

// report prints one line per finding: "ok", or each reason the deploy would fail.
func report(w io.Writer, req request, res *result) {
	market := "on-demand"
	deployFlags := ""
	// The per-stack form (-c Stack:key=value) reaches this stack only, whatever the
	// plain form would do (config's rules: a CPU type for SimpleBatch needs it).
	if req.Spot {
		market, deployFlags = "spot", " -c "+req.Stack+":spot=true"
	}
	if req.InstanceType != handsons.EC2Stacks[req.Stack] {
		deployFlags += " -c " + req.Stack + ":instance_type=" + req.InstanceType
	}
	for _, im := range res.Images {
		if im.ImageID == "" {
			fmt.Fprintln(w, im.problem(req, deployFlags))
		}
	}
	what := fmt.Sprintf("%d × %s %s (%d vCPUs)", req.Count, market, req.InstanceType, res.Needed)
	quota := fmt.Sprintf("%q (%s)", res.QuotaName, res.QuotaCode)

	if res.Verdict == verdictNotOffered {
		if len(res.Offering) == 0 {
			fmt.Fprintf(w, "not offered: %s is not offered anywhere in %s; choose another region (--region) or instance type (--instance-type)\n",
				req.InstanceType, req.Region)
		} else if req.Stack == handsons.SimpleBatch {
			// SimpleBatch's hosts spread over two zones and take no availability_zone.
			fmt.Fprintf(w, "not offered: %s is not offered in %s, a zone %s uses; choose another instance type (--instance-type) or region (zones that offer it: %s)\n",
				req.InstanceType, res.Zone, req.Stack, strings.Join(res.Offering, ", "))
		} else {
			fmt.Fprintf(w, "not offered: %s is not offered in %s, the zone %s uses; deploy with `npx cdk deploy %s%s -c %s:availability_zone=%s` (zones that offer it: %s)\n",
				req.InstanceType, res.Zone, req.Stack, req.Stack, deployFlags, req.Stack, res.Offering[0], strings.Join(res.Offering, ", "))
		}
	}
	if free := res.QuotaValue - res.InUse; res.Needed > free {
		desired := res.InUse + res.Needed
		fmt.Fprintf(w, "raise quota: %s needs %s in %s but %s is %d vCPUs with %d in use; raise it by %d to %d: "+
			"aws service-quotas request-service-quota-increase --region %s --service-code ec2 --quota-code %s --desired-value %d "+
			"(or https://%s.console.aws.amazon.com/servicequotas/home/services/ec2/quotas/%s)\n",
			req.Stack, what, req.Region, quota, res.QuotaValue, res.InUse, desired-res.QuotaValue, desired,
			req.Region, res.QuotaCode, desired, req.Region, res.QuotaCode)
		return
	}
	if res.Verdict == verdictOK {
		images := ""
		for _, im := range res.Images {
			images += fmt.Sprintf("; image %s from %s", im.ImageID, im.Parameter)
		}
		fmt.Fprintf(w, "ok: %s can start %s in %s; %s allows %d vCPUs, %d in use%s\n",
			req.Stack, what, res.Zone, quota, res.QuotaValue, res.InUse, images)
	}
}

func stackNames() []string {
	names := make([]string, 0, len(handsons.EC2Stacks))
	for name := range handsons.EC2Stacks {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
