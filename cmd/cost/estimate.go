package main

import (
	"fmt"
	"sort"
	"strings"
)

// Kinds of line.
const (
	kindHourly    = "hourly"     // bills by the hour while it exists or runs
	kindUsage     = "usage"      // bills per request, per GB or per second of use
	kindFree      = "free"       // no charge of its own
	kindNotPriced = "not priced" // a type or size the table does not know
)

// line is one billable part of a stack.
type line struct {
	Resource string  `json:"resource"` // logical id in the template
	Type     string  `json:"type"`     // CloudFormation type
	What     string  `json:"what"`
	Kind     string  `json:"kind"`
	Unit     string  `json:"unit_price,omitempty"`
	Hourly   float64 `json:"per_hour_running"`      // while the hands-on runs
	Idle     float64 `json:"per_month_idle"`        // deployed, nobody using it
	Usage    string  `json:"usage_price,omitempty"` // for usage-priced lines
}

// estimate is one stack's cost.
type estimate struct {
	Stack    string    `json:"stack"`
	Region   string    `json:"region"`
	Lines    []line    `json:"lines"`
	Hourly   float64   `json:"per_hour_running"`
	Idle     float64   `json:"per_month_idle"`
	Examples []example `json:"examples"`
	// Unpriced lists the resources the table could not price (also in Lines).
	Unpriced []string `json:"not_priced,omitempty"`
	// Options are the -c options the template was built with ("key=value"); empty: the
	// stack's defaults; null: the assembly did not record them.
	Options []string `json:"options"`
}

type example struct {
	Name   string  `json:"name"`
	Detail string  `json:"detail"`
	Cost   float64 `json:"cost"`
}

// template is a synthesized CloudFormation template, as JSON.
type template struct {
	Resources map[string]resource `json:"Resources"`
}

type resource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
}

// freeTypes have no charge of their own (what they contain may bill).
var freeTypes = map[string]string{
	"AWS::EC2::VPC": "network", "AWS::EC2::Subnet": "network", "AWS::EC2::InternetGateway": "network",
	"AWS::EC2::VPCGatewayAttachment": "network", "AWS::EC2::RouteTable": "network", "AWS::EC2::Route": "network",
	"AWS::EC2::SubnetRouteTableAssociation": "network", "AWS::EC2::SecurityGroup": "firewall rules",
	"AWS::EC2::SecurityGroupIngress": "firewall rule", "AWS::EC2::SecurityGroupEgress": "firewall rule",
	"AWS::EC2::LaunchTemplate": "launch settings",
	"AWS::IAM::Role":           "permissions", "AWS::IAM::Policy": "permissions", "AWS::IAM::InstanceProfile": "permissions",
	"AWS::IAM::ManagedPolicy": "permissions",
	"AWS::SSM::Parameter":     "standard parameter",
	"AWS::CDK::Metadata":      "CDK version info",
	"AWS::S3::BucketPolicy":   "bucket policy", "AWS::SQS::QueuePolicy": "queue policy",
	"AWS::ECS::Cluster": "cluster (you pay for its tasks)", "AWS::ECS::ClusterCapacityProviderAssociations": "capacity providers",
	"AWS::Batch::JobQueue": "job queue", "AWS::Batch::JobDefinition": "job definition",
	"AWS::Lambda::Permission": "invoke permission", "AWS::Lambda::LayerVersion": "code layer",
	"AWS::Lambda::EventInvokeConfig": "async settings",
	"AWS::ApiGatewayV2::Stage":       "API stage", "AWS::ApiGatewayV2::Route": "API route",
	"AWS::ApiGatewayV2::Integration":       "API integration",
	"AWS::CloudFront::OriginAccessControl": "origin access control",
	"AWS::CloudFormation::CustomResource":  "deploy-time step",
}

// estimateStack prices one template. assets lists the stack's container images.
func estimateStack(stack string, t template, region string, p regionPrices, images int) estimate {
	e := estimate{Stack: stack, Region: region}
	ids := make([]string, 0, len(t.Resources))
	for id := range t.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		r := t.Resources[id]
		e.Lines = append(e.Lines, priceResource(id, r, t, p)...)
	}
	if images > 0 {
		gb, known := assumedContainerImageGB[stack]
		l := line{Resource: "(image asset)", Type: "container image", Kind: kindHourly}
		if known {
			l.What = fmt.Sprintf("%d image(s) in the CDK bootstrap repository, ≈ %.2f GB", images, gb)
			l.Unit = money(p.ECRGBMonth) + "/GB-month"
			l.Idle = gb * p.ECRGBMonth
			l.Hourly = l.Idle / hoursPerMonth
		} else {
			l.Kind, l.What = kindNotPriced, fmt.Sprintf("%d image(s): size unknown", images)
		}
		e.Lines = append(e.Lines, l)
	}
	for _, l := range e.Lines {
		e.Hourly += l.Hourly
		e.Idle += l.Idle
		if l.Kind == kindNotPriced {
			e.Unpriced = append(e.Unpriced, l.Resource+" ("+l.Type+")")
		}
	}
	e.Examples = examplesFor(stack, t, p, e)
	return e
}

// priceResource returns the lines of one resource: none for free types.
func priceResource(id string, r resource, t template, p regionPrices) []line {
	base := line{Resource: id, Type: r.Type}
	switch {
	case freeTypes[r.Type] != "":
		base.Kind, base.What = kindFree, freeTypes[r.Type]
		return []line{base}
	case strings.HasPrefix(r.Type, "Custom::"):
		base.Kind, base.What = kindFree, "deploy-time step (its Lambda runs at deploy and destroy only)"
		return []line{base}
	case r.Type == "AWS::EC2::Instance":
		return priceInstance(id, r, t, p)
	case r.Type == "AWS::Batch::ComputeEnvironment":
		return priceComputeEnvironment(id, r, t, p)
	}
	if price, ok := linePricers[r.Type]; ok {
		price(&base, r.Properties, p)
	} else {
		base.Kind, base.What = kindNotPriced, "this resource type is not in the price table"
	}
	return []line{base}
}

// linePricers fill in the one line of a resource type that bills by use or by the
// month on its own (an instance and a compute environment bring more lines: above).
var linePricers = map[string]func(l *line, props map[string]any, p regionPrices){
	"AWS::CloudWatch::Alarm":        priceAlarm,
	"AWS::ECS::TaskDefinition":      priceTaskDefinition,
	"AWS::Lambda::Function":         priceLambda,
	"AWS::DynamoDB::Table":          priceDynamoTable,
	"AWS::S3::Bucket":               priceBucket,
	"AWS::Logs::LogGroup":           priceLogGroup,
	"AWS::ApiGatewayV2::Api":        priceHTTPAPI,
	"AWS::CloudFront::Distribution": priceDistribution,
	"AWS::SQS::Queue":               priceQueue,
}

// priceAlarm: a metric alarm bills by the month whether it fires or not.
func priceAlarm(l *line, _ map[string]any, p regionPrices) {
	l.Kind, l.What = kindHourly, "metric alarm"
	l.Unit = money(p.AlarmMonthly) + "/month"
	l.Idle, l.Hourly = p.AlarmMonthly, p.AlarmMonthly/hoursPerMonth
}

func priceTaskDefinition(l *line, props map[string]any, p regionPrices) {
	perHour, size := fargateTaskPrice(props, p)
	l.Kind = kindUsage
	l.What = "Fargate task " + size + ", while a task runs"
	l.Unit = money(perHour) + "/task-hour"
	l.Usage = fmt.Sprintf("%s per task-second (1-minute minimum)", money(perHour/3600))
}

func priceLambda(l *line, props map[string]any, p regionPrices) {
	if isCDKHelper(l.Resource, props) {
		l.Kind, l.What = kindFree, "CDK's deploy-time helper function (runs at deploy and destroy only)"
		return
	}
	mem := num(props["MemorySize"], 128)
	gbs := p.LambdaGBSecond
	arch := "x86_64"
	if strings.Contains(jsonString(props["Architectures"]), "arm64") {
		gbs, arch = p.LambdaArmGBSecond, "arm64"
	}
	l.Kind = kindUsage
	l.What = fmt.Sprintf("Lambda %g MB %s", mem, arch)
	l.Unit = fmt.Sprintf("%s/million requests + %s/GB-second", money(p.LambdaPerMillion), money(gbs))
	l.Usage = fmt.Sprintf("%s per 1,000 one-second invocations", money(1000*(p.LambdaPerMillion/1e6+mem/1024*gbs)))
}

// priceDynamoTable prices on-demand tables only: provisioned capacity bills by the hour at
// rates the price table does not hold.
func priceDynamoTable(l *line, props map[string]any, p regionPrices) {
	l.Kind = kindUsage
	l.What = "DynamoDB on-demand table"
	l.Unit = fmt.Sprintf("%s/million writes, %s/million reads, %s/GB-month", money(p.DynamoWRUPerMillion), money(p.DynamoRRUPerMillion), money(p.DynamoGBMonth))
	l.Usage = "a hands-on's few thousand items: well under $0.01"
	if str(props["BillingMode"]) != "PAY_PER_REQUEST" {
		l.Kind, l.What = kindNotPriced, "DynamoDB provisioned capacity"
	}
}

func priceBucket(l *line, _ map[string]any, p regionPrices) {
	l.Kind = kindUsage
	l.What = "S3 bucket (Standard)"
	l.Unit = fmt.Sprintf("%s/GB-month, %s/1,000 PUT, %s/1,000 GET", money(p.S3GBMonth), money(p.S3PutPer1000), money(p.S3GetPer1000))
	l.Usage = "storage of what you put in it; emptied on destroy"
}

func priceLogGroup(l *line, _ map[string]any, p regionPrices) {
	l.Kind = kindUsage
	l.What = "CloudWatch Logs"
	l.Unit = fmt.Sprintf("%s/GB ingested, %s/GB-month stored", money(p.LogsIngestGB), money(p.LogsStoreGBMonth))
	l.Usage = "a hands-on writes kilobytes: well under $0.01"
}

func priceHTTPAPI(l *line, _ map[string]any, p regionPrices) {
	l.Kind = kindUsage
	l.What = "API Gateway HTTP API"
	l.Unit = money(p.HTTPAPIPerMillion) + "/million requests"
	l.Usage = fmt.Sprintf("%s per 1,000 requests", money(p.HTTPAPIPerMillion/1000))
}

func priceDistribution(l *line, _ map[string]any, p regionPrices) {
	l.Kind = kindUsage
	l.What = "CloudFront distribution"
	l.Unit = fmt.Sprintf("%s/GB out, %s/10,000 HTTPS requests", money(p.CloudFrontGB), money(p.CloudFrontPer10k))
	l.Usage = "the always-free tier covers 1 TB and 10 million requests a month"
}

func priceQueue(l *line, _ map[string]any, p regionPrices) {
	l.Kind = kindUsage
	l.What = "SQS queue"
	l.Unit = money(p.SQSPerMillion) + "/million requests"
	l.Usage = "only failed asynchronous invocations land here"
}

// priceInstance prices an EC2 instance, its public IPv4 address and its root volume,
// and what they cost when nobody uses them: an idle alarm that stops the instance
// leaves only the volume; one that terminates it leaves nothing; without one, an
// instance runs (and bills) until you stop or destroy it.
func priceInstance(id string, r resource, t template, p regionPrices) []line {
	props := r.Properties
	instanceType := str(props["InstanceType"])
	spot := isSpot(props, t)
	idleAction := idleAlarmAction(id, t)

	inst := line{Resource: id, Type: r.Type, Kind: kindHourly, What: instanceType + " on-demand"}
	price, known := p.EC2Hourly[instanceType]
	if spot {
		inst.What = instanceType + " spot (priced at on-demand: spot is usually 60-70 % less)"
	}
	if !known {
		inst.Kind, inst.What = kindNotPriced, fmt.Sprintf("instance type %s is not in the price table (try --live)", instanceType)
	}
	inst.Unit, inst.Hourly = money(price)+"/h", price

	ip := line{Resource: id, Type: "public IPv4 address", Kind: kindHourly, What: "public IPv4 address (while running)",
		Unit: money(p.PublicIPv4Hourly) + "/h", Hourly: p.PublicIPv4Hourly}
	if !publicSubnet(props, t) {
		ip = line{}
	}

	var gib float64
	note := ""
	if len(list(props["BlockDeviceMappings"])) == 0 {
		gib, note = assumedImageRootGiB, fmt.Sprintf(" (the image's size, assumed %d GiB)", assumedImageRootGiB)
	}
	for _, bdm := range list(props["BlockDeviceMappings"]) {
		if size, ok := dig(bdm, "Ebs", "VolumeSize").(float64); ok {
			gib += size
		} else if dig(bdm, "Ebs") != nil {
			gib += assumedImageRootGiB
			note = fmt.Sprintf(" (the image's size, assumed %d GiB)", assumedImageRootGiB)
		}
	}
	vol := line{Resource: id, Type: "EBS gp3 volume", Kind: kindHourly, What: fmt.Sprintf("%g GiB root volume%s", gib, note),
		Unit: money(p.GP3GBMonth) + "/GB-month", Idle: gib * p.GP3GBMonth, Hourly: gib * p.GP3GBMonth / hoursPerMonth}

	switch idleAction {
	case "stop":
		inst.What += ", stops itself when idle"
	case "terminate":
		inst.What += ", terminated when idle"
		vol.Idle = 0
	default:
		inst.Idle = inst.Hourly * hoursPerMonth
		ip.Idle = ip.Hourly * hoursPerMonth
	}
	out := []line{inst}
	if ip.Type != "" {
		out = append(out, ip)
	}
	return append(out, vol)
}

// priceComputeEnvironment prices a Batch compute environment at its maximum size (the
// hands-on running flat out) and at its minimum (idle: 0 vCPUs costs nothing).
func priceComputeEnvironment(id string, r resource, t template, p regionPrices) []line {
	cr, _ := r.Properties["ComputeResources"].(map[string]any)
	types := list(cr["InstanceTypes"])
	maxVcpus := num(cr["MaxvCpus"], 0)
	minVcpus := num(cr["MinvCpus"], 0)
	l := line{Resource: id, Type: r.Type, Kind: kindHourly}
	if len(types) != 1 {
		l.Kind, l.What = kindNotPriced, "compute environment with several instance types"
		return []line{l}
	}
	instanceType := str(types[0])
	vcpus, knownSize := instanceVCPUs[instanceType]
	price, knownPrice := p.EC2Hourly[instanceType]
	if !knownSize || !knownPrice {
		l.Kind, l.What = kindNotPriced, fmt.Sprintf("instance type %s is not in the price table", instanceType)
		return []line{l}
	}
	atMax := float64(int(maxVcpus) / vcpus)
	atMin := float64((int(minVcpus) + vcpus - 1) / vcpus)
	market := "on-demand"
	if str(cr["Type"]) == "SPOT" {
		market = "spot (priced at on-demand: spot is usually 60-70 % less)"
	}
	gib := 0.0
	if ltID := str(dig(cr, "LaunchTemplate", "LaunchTemplateId", "Ref")); ltID != "" {
		for _, bdm := range list(dig(t.Resources[ltID].Properties, "LaunchTemplateData", "BlockDeviceMappings")) {
			gib += num(dig(bdm, "Ebs", "VolumeSize"), 0)
		}
	}
	perInstance := price + p.PublicIPv4Hourly + gib*p.GP3GBMonth/hoursPerMonth
	l.What = fmt.Sprintf("up to %g × %s %s (max %g vCPUs), each with a public IPv4 and %g GiB gp3; %g while idle",
		atMax, instanceType, market, maxVcpus, gib, atMin)
	l.Unit = money(perInstance) + "/instance-hour"
	l.Hourly = atMax * perInstance
	l.Idle = atMin * perInstance * hoursPerMonth
	return []line{l}
}

// fargateTaskPrice is a task definition's price per task-hour, and its size in words.
func fargateTaskPrice(props map[string]any, p regionPrices) (float64, string) {
	cpu := num(props["Cpu"], 0)
	mem := num(props["Memory"], 0)
	arch := orDefault(str(dig(props, "RuntimePlatform", "CpuArchitecture")), "X86_64")
	vcpuPrice, gbPrice := p.FargateVCPUHour, p.FargateGBHour
	if arch == "ARM64" {
		vcpuPrice, gbPrice = p.FargateArmVCPUHour, p.FargateArmGBHour
	}
	return cpu/1024*vcpuPrice + mem/1024*gbPrice, fmt.Sprintf("%g vCPU / %g GB %s", cpu/1024, mem/1024, strings.ToLower(arch))
}

// instanceVCPUs are the sizes a Batch environment can be priced at.
var instanceVCPUs = map[string]int{
	"g4dn.xlarge": 4, "g4dn.2xlarge": 8, "g5.xlarge": 4, "m5.large": 2, "m5.xlarge": 4, "c5.xlarge": 4,
	"t3.micro": 2, "t3.small": 2, "t3.medium": 2, "t3.large": 2,
}

// isSpot: the instance's launch template asks for the spot market.
func isSpot(props map[string]any, t template) bool {
	ltID := str(dig(props, "LaunchTemplate", "LaunchTemplateId", "Ref"))
	if ltID == "" {
		return false
	}
	return str(dig(t.Resources[ltID].Properties, "LaunchTemplateData", "InstanceMarketOptions", "MarketType")) == "spot"
}

// idleAlarmAction returns "stop" or "terminate" when an alarm on the instance acts on
// it, "" otherwise.
func idleAlarmAction(instanceID string, t template) string {
	for _, r := range t.Resources {
		if r.Type != "AWS::CloudWatch::Alarm" || !strings.Contains(jsonString(r.Properties["Dimensions"]), `"Ref":"`+instanceID+`"`) {
			continue
		}
		actions := jsonString(r.Properties["AlarmActions"])
		switch {
		case strings.Contains(actions, ":ec2:stop"):
			return "stop"
		case strings.Contains(actions, ":ec2:terminate"):
			return "terminate"
		}
	}
	return ""
}

// publicSubnet: the instance's subnet gives instances a public IPv4 address.
func publicSubnet(props map[string]any, t template) bool {
	subnet := str(dig(props, "SubnetId", "Ref"))
	return dig(t.Resources[subnet].Properties, "MapPublicIpOnLaunch") == true
}

// isCDKHelper recognises the Lambda functions CDK adds for its own deploy-time steps
// (bucket auto-delete, bucket deployment, custom resource providers).
func isCDKHelper(id string, props map[string]any) bool {
	handler := str(props["Handler"])
	return strings.Contains(id, "CustomResourceProvider") || strings.Contains(id, "CDKBucketDeployment") ||
		strings.HasPrefix(handler, "__entrypoint__") || strings.Contains(id, "AWS679f53fac002430cb0da5b7982bd228")
}
