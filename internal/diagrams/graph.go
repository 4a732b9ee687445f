package diagrams

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Graph is one figure: boxes (clusters) with nodes in them, and edges.
type Graph struct {
	HandsOn  HandsOn
	Clusters []*Cluster
	Nodes    []*Node
	Edges    []*Edge
	// Unknown lists resources of types this package does not know, drawn as plain
	// boxes: decide whether to give them an icon or hide them.
	Unknown []string
}

// Cluster is a box: the AWS cloud, a stack, a VPC, a subnet, a security group.
type Cluster struct {
	ID, Label, Kind, Parent string
}

// Node is one drawn thing, with an icon of the aws-icons package (path under its
// icons/ folder).
type Node struct {
	ID, Label, Icon, Parent string
	Type                    string // the CloudFormation type it stands for ("" for client, ECR)
	Stack                   string
}

// Edge goes From → To; Labels are merged when two facts draw the same edge.
type Edge struct {
	From, To string
	Labels   []string
	Style    string // "" solid, "dashed" for what happens only at deploy or destroy, "route" for the network path
}

// hidden are the resources a learner need not see: CDK's wiring (IAM roles and
// policies, route tables, permissions, metadata). What they mean is drawn as edges:
// an IAM policy becomes an edge from the code that holds the role to the resource it
// may use, a route to the internet gateway becomes the edge to the gateway.
var hidden = map[string]bool{
	"AWS::CDK::Metadata":                            true,
	"AWS::IAM::Role":                                true,
	"AWS::IAM::Policy":                              true,
	"AWS::IAM::InstanceProfile":                     true,
	"AWS::EC2::VPCGatewayAttachment":                true,
	"AWS::EC2::RouteTable":                          true,
	"AWS::EC2::Route":                               true,
	"AWS::EC2::SubnetRouteTableAssociation":         true,
	"AWS::EC2::LaunchTemplate":                      true,
	"AWS::S3::BucketPolicy":                         true,
	"AWS::SQS::QueuePolicy":                         true,
	"AWS::CloudFront::OriginAccessControl":          true,
	"AWS::Lambda::Permission":                       true,
	"AWS::Lambda::LayerVersion":                     true,
	"AWS::ApiGatewayV2::Integration":                true,
	"AWS::ApiGatewayV2::Route":                      true,
	"AWS::ApiGatewayV2::Stage":                      true,
	"AWS::ECS::ClusterCapacityProviderAssociations": true,
}

// icons of the aws-icons npm package (the AWS Architecture Icons as SVG).
var icons = map[string]string{
	"client":                         "resource/Client.svg",
	"ecr":                            "architecture-service/AmazonElasticContainerRegistry.svg",
	"ssm":                            "resource/AWSSystemsManagerParameterStore.svg",
	"custom":                         "resource/AWSLambdaLambdaFunction.svg",
	"AWS::EC2::InternetGateway":      "resource/AmazonVPCInternetGateway.svg",
	"AWS::EC2::Instance":             "resource/AmazonEC2Instance.svg",
	"AWS::CloudWatch::Alarm":         "resource/AmazonCloudWatchAlarm.svg",
	"AWS::DynamoDB::Table":           "resource/AmazonDynamoDBTable.svg",
	"AWS::ECS::Cluster":              "architecture-service/AmazonElasticContainerService.svg",
	"AWS::ECS::TaskDefinition":       "architecture-service/AWSFargate.svg",
	"AWS::Logs::LogGroup":            "resource/AmazonCloudWatchLogs.svg",
	"AWS::Batch::ComputeEnvironment": "architecture-service/AWSBatch.svg",
	"AWS::Batch::JobQueue":           "resource/AmazonSimpleQueueServiceQueue.svg",
	"AWS::Batch::JobDefinition":      "resource/AmazonElasticContainerServiceTask.svg",
	"AWS::S3::Bucket":                "resource/AmazonSimpleStorageServiceBucket.svg",
	"AWS::Lambda::Function":          "architecture-service/AWSLambda.svg",
	"AWS::SQS::Queue":                "resource/AmazonSimpleQueueServiceQueue.svg",
	"AWS::ApiGatewayV2::Api":         "architecture-service/AmazonAPIGateway.svg",
	"AWS::CloudFront::Distribution":  "architecture-service/AmazonCloudFront.svg",
}

// Icons lists every icon a figure may use, so a test can check they exist.
func Icons() []string {
	var out []string
	for _, v := range icons {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

type builder struct {
	g        *Graph
	t        *Template
	stackCl  string
	cloud    string
	node     map[string]string // logical ID → node ID (drawn, or folded into another node)
	nodes    map[string]*Node
	clusters map[string]*Cluster
	edges    map[string]*Edge
	inVPC    map[string]string // node ID → VPC cluster it sits in
	igwOf    map[string]string // node ID → internet-gateway node ID of its public route
	wired    map[string]bool   // edges whose label the template's wiring gave (IAM adds none)
	outbound map[string]bool   // internet gateways that are some node's way out to a service
}

// Build draws one hands-on from the synthesized templates of its stacks.
func Build(h HandsOn, templates map[string]*Template) (*Graph, error) {
	g := &Graph{HandsOn: h}
	b := &builder{g: g, nodes: map[string]*Node{}, clusters: map[string]*Cluster{}, edges: map[string]*Edge{},
		inVPC: map[string]string{}, igwOf: map[string]string{}, wired: map[string]bool{}, outbound: map[string]bool{}}
	b.cloud = b.cluster("cloud", "AWS Cloud (your region)", "cloud", "")
	b.addNode(&Node{ID: "client", Label: h.Client, Icon: icons["client"]})
	for _, s := range h.Stacks {
		t, ok := templates[s]
		if !ok {
			return nil, fmt.Errorf("no template for stack %s", s)
		}
		b.t = t
		b.node = map[string]string{}
		b.stackCl = b.cluster("stack "+s, "stack "+s, "stack", b.cloud)
		if err := b.stack(); err != nil {
			return nil, fmt.Errorf("%s: %w", s, err)
		}
		if err := b.links(h.Links); err != nil {
			return nil, fmt.Errorf("%s: %w", s, err)
		}
	}
	for _, l := range h.Links { // every link must have been drawn in some stack
		if !b.linkDrawn(l) {
			return nil, fmt.Errorf("%s: link %s → %s: no such resource in %v", h.File, l.From, l.To, h.Stacks)
		}
	}
	return g, nil
}

func (b *builder) cluster(id, label, kind, parent string) string {
	id = "cluster " + id
	if _, ok := b.clusters[id]; !ok {
		c := &Cluster{ID: id, Label: label, Kind: kind, Parent: parent}
		b.clusters[id] = c
		b.g.Clusters = append(b.g.Clusters, c)
	}
	return id
}

func (b *builder) addNode(n *Node) {
	if _, ok := b.nodes[n.ID]; ok {
		return
	}
	b.nodes[n.ID] = n
	b.g.Nodes = append(b.g.Nodes, n)
}

func (b *builder) edge(from, to, label, style string) {
	if from == "" || to == "" || from == to {
		return
	}
	key := from + "\x00" + to + "\x00" + style
	e, ok := b.edges[key]
	if !ok {
		e = &Edge{From: from, To: to, Style: style}
		b.edges[key] = e
		b.g.Edges = append(b.g.Edges, e)
	}
	if label != "" {
		for _, l := range e.Labels {
			if l == label {
				return
			}
		}
		e.Labels = append(e.Labels, label)
	}
}

// nodeID names a node after the resource's construct path, which survives template
// changes better than a hashed logical ID.
func (b *builder) nodeID(id string) string {
	p, _ := b.t.Resources[id].Metadata["aws:cdk:path"].(string)
	if p == "" {
		return b.t.Stack + "/" + id
	}
	return strings.TrimSuffix(strings.TrimSuffix(p, "/Resource"), "/Default")
}

// draw adds the node for a resource.
func (b *builder) draw(id, icon, label string) string {
	r := b.t.Resources[id]
	n := &Node{ID: b.nodeID(id), Label: label, Icon: icon, Parent: b.stackCl, Type: r.Type, Stack: b.t.Stack}
	b.addNode(n)
	b.node[id] = n.ID
	return n.ID
}

func (b *builder) stack() error {
	t := b.t
	// Resources that stand for another one: provider Lambdas of custom resources, the
	// log groups of Lambda functions and of the API's access log.
	folded := map[string]string{}
	for _, id := range t.IDs() {
		r := t.Resources[id]
		if strings.HasPrefix(r.Type, "Custom::") {
			for _, fn := range t.Refs(prop(r.Properties, "ServiceToken")) {
				folded[fn] = id
				for _, lg := range t.Refs(prop(t.Resources[fn].Properties, "LoggingConfig")) {
					folded[lg] = id
				}
			}
		}
	}
	for _, id := range t.OfType("AWS::Lambda::Function") {
		for _, lg := range t.Refs(prop(t.Resources[id].Properties, "LoggingConfig")) {
			if _, ok := folded[lg]; !ok {
				folded[lg] = id
			}
		}
	}
	for _, id := range t.OfType("AWS::ApiGatewayV2::Stage") {
		p := t.Resources[id].Properties
		for _, lg := range t.Refs(prop(p, "AccessLogSettings")) {
			if apis := t.Refs(prop(p, "ApiId")); len(apis) > 0 {
				folded[lg] = apis[0]
			}
		}
	}

	// The network: VPCs, subnets with a route to an internet gateway, security groups.
	vpcOf := map[string]string{} // subnet or security group → VPC
	for _, id := range append(t.OfType("AWS::EC2::Subnet"), t.OfType("AWS::EC2::SecurityGroup")...) {
		if v := t.Refs(prop(t.Resources[id].Properties, "VpcId")); len(v) > 0 {
			vpcOf[id] = v[0]
		}
	}
	igwOfTable := map[string]string{}
	for _, id := range t.OfType("AWS::EC2::Route") {
		p := t.Resources[id].Properties
		if str(p, "DestinationCidrBlock") != "0.0.0.0/0" {
			continue
		}
		for _, gw := range t.Refs(prop(p, "GatewayId")) {
			for _, rt := range t.Refs(prop(p, "RouteTableId")) {
				igwOfTable[rt] = gw
			}
		}
	}
	igwOfSubnet := map[string]string{}
	for _, id := range t.OfType("AWS::EC2::SubnetRouteTableAssociation") {
		p := t.Resources[id].Properties
		for _, rt := range t.Refs(prop(p, "RouteTableId")) {
			for _, sn := range t.Refs(prop(p, "SubnetId")) {
				if gw, ok := igwOfTable[rt]; ok {
					igwOfSubnet[sn] = gw
				}
			}
		}
	}
	vpcCluster := func(vpc string) string {
		p := t.Resources[vpc].Properties
		return b.cluster(b.nodeID(vpc), "VPC "+str(p, "CidrBlock"), "vpc", b.stackCl)
	}
	igwVPC := map[string]string{}
	for _, id := range t.OfType("AWS::EC2::VPCGatewayAttachment") {
		p := t.Resources[id].Properties
		for _, gw := range t.Refs(prop(p, "InternetGatewayId")) {
			for _, v := range t.Refs(prop(p, "VpcId")) {
				igwVPC[gw] = v
			}
		}
	}
	for _, id := range t.OfType("AWS::EC2::InternetGateway") {
		n := b.draw(id, icons["AWS::EC2::InternetGateway"], "Internet gateway")
		if v, ok := igwVPC[id]; ok {
			b.nodes[n].Parent = vpcCluster(v)
		}
	}
	// place puts a node into its VPC, its subnet when it has one only, and its
	// security group; a node in a subnet with a public route gets the gateway edge.
	place := func(n string, subnets, sgs []string) {
		if len(subnets) == 0 {
			return
		}
		vpc := vpcOf[subnets[0]]
		if vpc == "" {
			return
		}
		parent := vpcCluster(vpc)
		b.inVPC[n] = parent
		if len(subnets) == 1 {
			parent = b.cluster(b.nodeID(subnets[0]), subnetLabel(t, subnets[0], igwOfSubnet), "subnet", parent)
		}
		if len(sgs) == 1 {
			parent = b.cluster(b.nodeID(sgs[0])+" in "+parent, sgLabel(t, sgs[0]), "sg", parent)
		}
		b.nodes[n].Parent = parent
		for _, sn := range subnets {
			if gw, ok := igwOfSubnet[sn]; ok {
				b.igwOf[n] = b.node[gw]
				b.edge(b.node[gw], n, "0.0.0.0/0", "route")
				break
			}
		}
	}

	// Everything else, in logical-ID order.
	var ssmNames []string
	for _, id := range t.IDs() {
		r := t.Resources[id]
		p := r.Properties
		if _, ok := folded[id]; ok || hidden[r.Type] {
			continue
		}
		name := t.Name(id)
		switch r.Type {
		case "AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::SecurityGroup", "AWS::EC2::InternetGateway":
			// boxes, drawn where something is placed in them (and the gateway above)
		case "AWS::SSM::Parameter":
			ssmNames = append(ssmNames, str(p, "Name"))
			folded[id] = "ssm"
		case "AWS::EC2::Instance":
			b.draw(id, icons[r.Type], lines("EC2 instance", name, str(p, "InstanceType")))
		case "AWS::CloudWatch::Alarm":
			b.draw(id, icons[r.Type], lines("CloudWatch alarm", name, wrap(str(p, "AlarmDescription"), 30)))
		case "AWS::DynamoDB::Table":
			b.draw(id, icons[r.Type], lines("DynamoDB table", name, tableKey(p)))
		case "AWS::ECS::Cluster":
			b.draw(id, icons[r.Type], lines("ECS cluster", name, capacityProviders(t, id)))
		case "AWS::ECS::TaskDefinition":
			b.draw(id, icons[r.Type], lines("Fargate task", name, taskSize(p)))
		case "AWS::Logs::LogGroup":
			b.draw(id, icons[r.Type], lines("CloudWatch Logs", name, retention(p)))
		case "AWS::Batch::ComputeEnvironment":
			b.draw(id, icons[r.Type], lines("Batch compute environment", name, computeSize(p)))
		case "AWS::Batch::JobQueue":
			b.draw(id, icons[r.Type], lines("Batch job queue", name))
		case "AWS::Batch::JobDefinition":
			b.draw(id, icons[r.Type], lines("Batch job definition", name, jobSize(p)))
		case "AWS::S3::Bucket":
			b.draw(id, icons[r.Type], lines("S3 bucket", name, bucketAccess(p)))
		case "AWS::Lambda::Function":
			b.draw(id, icons[r.Type], lines("Lambda function", name, functionSize(p)))
		case "AWS::SQS::Queue":
			b.draw(id, icons[r.Type], lines("SQS queue", name))
		case "AWS::ApiGatewayV2::Api":
			b.draw(id, icons[r.Type], lines("API Gateway "+str(p, "ProtocolType")+" API", name))
		case "AWS::CloudFront::Distribution":
			b.draw(id, icons[r.Type], lines("CloudFront distribution", name))
		case "Custom::S3AutoDeleteObjects":
			b.draw(id, icons["custom"], lines("auto-delete handler (Lambda)", "empties the bucket", "at cdk destroy"))
		case "Custom::CDKBucketDeployment":
			b.draw(id, icons["custom"], lines("BucketDeployment (Lambda)", "copies the page", "at cdk deploy"))
		default:
			icon := ""
			if strings.HasPrefix(r.Type, "Custom::") {
				icon = icons["custom"]
			}
			b.draw(id, icon, lines(strings.TrimPrefix(r.Type, "AWS::"), name))
			b.g.Unknown = append(b.g.Unknown, t.Stack+"/"+name+" ("+r.Type+")")
		}
	}
	if len(ssmNames) > 0 {
		sort.Strings(ssmNames)
		prefix := "/" + t.Stack + "/"
		for _, n := range ssmNames {
			if !strings.HasPrefix(n, prefix) {
				prefix = ""
			}
		}
		label := []string{"SSM parameters"}
		if prefix != "" {
			label = append(label, prefix+"…")
		}
		for _, n := range ssmNames {
			label = append(label, "  "+strings.TrimPrefix(n, prefix))
		}
		b.addNode(&Node{ID: t.Stack + "/SSM parameters", Label: lines(label...),
			Icon: icons["ssm"], Parent: b.stackCl, Type: "ssm", Stack: t.Stack})
	}
	for lid, into := range folded {
		if into == "ssm" {
			b.node[lid] = t.Stack + "/SSM parameters"
		}
	}
	for lid, into := range folded {
		if n, ok := b.node[into]; ok && into != "ssm" {
			b.node[lid] = n
		}
	}

	// Placement in the network.
	for _, id := range t.OfType("AWS::EC2::Instance") {
		p := t.Resources[id].Properties
		place(b.node[id], t.Refs(prop(p, "SubnetId")), t.Refs(prop(p, "SecurityGroupIds")))
	}
	for _, id := range t.OfType("AWS::Batch::ComputeEnvironment") {
		p := t.Resources[id].Properties
		place(b.node[id], t.Refs(prop(p, "ComputeResources", "Subnets")), t.Refs(prop(p, "ComputeResources", "SecurityGroupIds")))
	}
	// A Fargate task is placed when it starts: RunTask gets the subnet and the security
	// group. The stack publishes both as SSM parameters for its client; take them there.
	var taskSubnets, taskSGs []string
	for _, id := range t.OfType("AWS::SSM::Parameter") {
		for _, ref := range t.Refs(prop(t.Resources[id].Properties, "Value")) {
			switch t.Resources[ref].Type {
			case "AWS::EC2::Subnet":
				taskSubnets = append(taskSubnets, ref)
			case "AWS::EC2::SecurityGroup":
				taskSGs = append(taskSGs, ref)
			}
		}
	}
	for _, id := range t.OfType("AWS::ECS::TaskDefinition") {
		if strings.Contains(fmt.Sprint(prop(t.Resources[id].Properties, "RequiresCompatibilities")), "FARGATE") {
			place(b.node[id], taskSubnets, taskSGs)
		}
	}

	// A VPC's label names the subnets that are not drawn as boxes of their own (those
	// that hold nothing, or that a compute environment spans with others).
	for _, vpc := range t.OfType("AWS::EC2::VPC") {
		c, ok := b.clusters["cluster "+b.nodeID(vpc)]
		if !ok {
			continue
		}
		for _, sn := range t.OfType("AWS::EC2::Subnet") {
			if _, drawn := b.clusters["cluster "+b.nodeID(sn)]; vpcOf[sn] == vpc && !drawn {
				c.Label += "\n" + subnetLabel(t, sn, igwOfSubnet)
			}
		}
	}

	b.wiring()
	b.iam()
	// Layout only: Graphviz ranks an edge's head after its tail. Where the gateway is the
	// way out (a task reaching its table), draw the route from the node to the gateway,
	// so the figure reads task → gateway → services; else from the gateway in.
	for _, e := range b.g.Edges {
		if e.Style == "route" && b.outbound[e.From] && b.nodes[e.To].Stack == t.Stack {
			e.From, e.To = e.To, e.From
		}
	}
	return nil
}

// wiring draws the references that mean "uses" or "sends to".
func (b *builder) wiring() {
	t := b.t
	to := func(from string, refs []string, label, style string) {
		for _, r := range refs {
			b.edge(from, b.node[r], label, style)
			b.wired[from+"\x00"+b.node[r]] = true
		}
	}
	for _, id := range t.OfType("AWS::CloudWatch::Alarm") {
		p := t.Resources[id].Properties
		label := "watches"
		if strings.Contains(fmt.Sprint(p["AlarmActions"]), ":ec2:stop") {
			label = "stops it when idle"
		}
		to(b.node[id], t.Refs(p["Dimensions"]), label, "")
	}
	for _, id := range t.OfType("AWS::Batch::JobQueue") {
		to(b.node[id], t.Refs(t.Resources[id].Properties["ComputeEnvironmentOrder"]), "places jobs on", "")
	}
	for _, id := range t.OfType("AWS::Lambda::Function") {
		to(b.node[id], t.Refs(t.Resources[id].Properties["DeadLetterConfig"]), "sends failed\nasync events", "")
	}
	for _, id := range t.OfType("AWS::ApiGatewayV2::Route") {
		p := t.Resources[id].Properties
		for _, api := range t.Refs(p["ApiId"]) {
			for _, integ := range t.Refs(p["Target"]) {
				to(b.node[api], t.Refs(prop(t.Resources[integ].Properties, "IntegrationUri")), str(p, "RouteKey"), "")
			}
		}
	}
	for _, id := range t.OfType("AWS::CloudFront::Distribution") {
		for _, o := range list(prop(t.Resources[id].Properties, "DistributionConfig", "Origins")) {
			label := "origin"
			if prop(o, "OriginAccessControlId") != nil {
				label = "reads the page\n(origin access control)"
			}
			to(b.node[id], t.Refs(prop(o, "DomainName")), label, "")
		}
	}
	for _, id := range t.OfType("Custom::S3AutoDeleteObjects") {
		to(b.node[id], t.Refs(t.Resources[id].Properties["BucketName"]), "empties", "dashed")
	}
	for _, id := range t.OfType("Custom::CDKBucketDeployment") {
		p := t.Resources[id].Properties
		to(b.node[id], t.Refs(p["DestinationBucketName"]), "uploads the page", "dashed")
		to(b.node[id], t.Refs(p["DistributionId"]), "invalidates the cache", "dashed")
	}
	for _, typ := range []string{"AWS::ECS::TaskDefinition", "AWS::Batch::JobDefinition"} {
		for _, id := range t.OfType(typ) {
			p := t.Resources[id].Properties
			for _, v := range []any{prop(p, "ContainerDefinitions"), prop(p, "ContainerProperties", "LogConfiguration")} {
				var logs []string
				for _, r := range t.Refs(v) {
					if t.Resources[r].Type == "AWS::Logs::LogGroup" {
						logs = append(logs, r)
					}
				}
				b.access(b.node[id], logs, "", "writes logs")
			}
		}
	}
}

// iam turns each IAM policy into edges from what holds the role (instance, task, job,
// function) to the resources of this stack that the policy names.
func (b *builder) iam() {
	t := b.t
	holders := map[string][]string{} // role → nodes that run with it
	hold := func(n string, v any) {
		for _, r := range t.Refs(v) {
			switch t.Resources[r].Type {
			case "AWS::IAM::Role":
				holders[r] = append(holders[r], n)
			case "AWS::IAM::InstanceProfile":
				for _, role := range t.Refs(t.Resources[r].Properties["Roles"]) {
					holders[role] = append(holders[role], n)
				}
			}
		}
	}
	for _, id := range t.IDs() {
		n, drawn := b.nodes[b.node[id]]
		if !drawn || n.Type != t.Resources[id].Type {
			continue // not drawn, or folded into another node (a custom resource's provider)
		}
		p := t.Resources[id].Properties
		switch n.Type {
		case "AWS::EC2::Instance":
			hold(n.ID, p["IamInstanceProfile"])
		case "AWS::ECS::TaskDefinition":
			hold(n.ID, p["TaskRoleArn"])
			hold(n.ID, p["ExecutionRoleArn"])
		case "AWS::Batch::JobDefinition":
			hold(n.ID, prop(p, "ContainerProperties", "JobRoleArn"))
			hold(n.ID, prop(p, "ContainerProperties", "ExecutionRoleArn"))
		case "AWS::Lambda::Function":
			hold(n.ID, p["Role"])
		}
	}
	statements := func(role string) []any {
		var out []any
		for _, pol := range list(t.Resources[role].Properties["Policies"]) {
			out = append(out, list(prop(pol, "PolicyDocument", "Statement"))...)
		}
		for _, id := range t.OfType("AWS::IAM::Policy") {
			for _, r := range t.Refs(t.Resources[id].Properties["Roles"]) {
				if r == role {
					out = append(out, list(prop(t.Resources[id].Properties, "PolicyDocument", "Statement"))...)
				}
			}
		}
		return out
	}
	roles := make([]string, 0, len(holders))
	for r := range holders {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	for _, role := range roles {
		for _, st := range statements(role) {
			if str(st, "Effect") != "Allow" {
				continue
			}
			var actions []string
			for _, a := range list(prop(st, "Action")) {
				if s, ok := a.(string); ok {
					actions = append(actions, s)
				}
			}
			label := verbs(actions)
			for _, n := range holders[role] {
				if strings.HasPrefix(label, "pulls the image") {
					// The image is in the CDK bootstrap's ECR repository, outside the stack.
					b.addNode(&Node{ID: "ECR", Label: lines("ECR repository", "of the CDK bootstrap", "(cdk deploy pushes the image)"),
						Icon: icons["ecr"], Parent: b.cloud})
					b.access(n, nil, "ECR", label)
					continue
				}
				b.access(n, t.Refs(prop(st, "Resource")), "", label)
			}
		}
	}
}

// access draws from → each resource (or the node named to); from inside a public
// subnet the way out is the internet gateway, so the edge goes through it.
func (b *builder) access(from string, refs []string, to, label string) {
	targets := []string{}
	if to != "" {
		targets = append(targets, to)
	}
	for _, r := range refs {
		if n, ok := b.node[r]; ok {
			targets = append(targets, n)
		}
	}
	for _, tg := range targets {
		if gw, ok := b.igwOf[from]; ok && b.inVPC[tg] != b.inVPC[from] {
			from = gw
			b.outbound[gw] = true
		}
		if b.wired[from+"\x00"+tg] {
			continue // the wiring's label says more (a dead-letter queue's "sends failed\nasync events")
		}
		b.edge(from, tg, label, "")
	}
}

// verbs says what a statement's actions do, in a few words.
func verbs(actions []string) string {
	var read, write bool
	service := ""
	for _, a := range actions {
		svc, act, _ := strings.Cut(a, ":")
		service = svc
		switch {
		case svc == "ecr":
			return "pulls the image"
		case svc == "logs":
			return "writes logs"
		case act == "*":
			read, write = true, true
		case hasPrefix(act, "Get", "List", "Describe", "Query", "Scan", "BatchGet", "ConditionCheck", "Head"):
			read = true
		default:
			write = true
		}
	}
	switch {
	case read && write:
		return "reads, writes"
	case read:
		return "reads"
	case write && service == "sqs":
		return "sends"
	case write:
		return "writes"
	}
	return ""
}

func hasPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// links draws the hand-written links whose ends are in this stack (or the client).
func (b *builder) links(ls []Link) error {
	for _, l := range ls {
		from, to := b.resolve(l.From), b.resolve(l.To)
		for _, f := range from {
			for _, tt := range to {
				b.edge(f, tt, l.Label, "")
			}
		}
	}
	return nil
}

func (b *builder) resolve(end string) []string {
	switch end {
	case "client":
		return []string{"client"}
	case "igw":
		end = "AWS::EC2::InternetGateway"
	}
	var out []string
	for _, n := range b.g.Nodes {
		if n.Stack == b.t.Stack && n.Type == end {
			out = append(out, n.ID)
		}
	}
	return out
}

func (b *builder) linkDrawn(l Link) bool {
	for _, e := range b.g.Edges {
		for _, lab := range e.Labels {
			if lab == l.Label {
				return true
			}
		}
	}
	return false
}

func lines(ls ...string) string {
	var out []string
	for _, l := range ls {
		if l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// wrap breaks a sentence into lines of at most n characters.
func wrap(s string, n int) string {
	var out []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > n {
			out = append(out, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

func subnetLabel(t *Template, id string, igwOf map[string]string) string {
	p := t.Resources[id].Properties
	kind := "Private subnet"
	if _, ok := igwOf[id]; ok {
		kind = "Public subnet"
	}
	return kind + " " + str(p, "CidrBlock")
}

func sgLabel(t *Template, id string) string {
	rules := list(prop(t.Resources[id].Properties, "SecurityGroupIngress"))
	if len(rules) == 0 {
		return "Security group: no inbound rule"
	}
	var rs []string
	for _, r := range rules {
		port := fmt.Sprint(prop(r, "FromPort"))
		rs = append(rs, str(r, "IpProtocol")+" "+port+" from "+str(r, "CidrIp"))
	}
	return "Security group: inbound " + strings.Join(rs, ", ")
}

func tableKey(p map[string]any) string {
	for _, k := range list(p["KeySchema"]) {
		if str(k, "KeyType") == "HASH" {
			return "key " + str(k, "AttributeName")
		}
	}
	return ""
}

func capacityProviders(t *Template, cluster string) string {
	var cps []string
	for _, id := range t.OfType("AWS::ECS::ClusterCapacityProviderAssociations") {
		p := t.Resources[id].Properties
		for _, c := range t.Refs(p["Cluster"]) {
			if c == cluster {
				for _, cp := range list(p["CapacityProviders"]) {
					cps = append(cps, fmt.Sprint(cp))
				}
			}
		}
	}
	return strings.Join(cps, ", ")
}

func taskSize(p map[string]any) string {
	cpu, _ := strconv.Atoi(str(p, "Cpu"))
	arch := str(p, "RuntimePlatform", "CpuArchitecture")
	if cpu == 0 {
		return arch
	}
	return fmt.Sprintf("%g vCPU, %s MiB, %s", float64(cpu)/1024, str(p, "Memory"), arch)
}

func retention(p map[string]any) string {
	if d, ok := p["RetentionInDays"].(float64); ok {
		return fmt.Sprintf("kept %g days", d)
	}
	return ""
}

func computeSize(p map[string]any) string {
	cr := p["ComputeResources"]
	var types []string
	for _, it := range list(prop(cr, "InstanceTypes")) {
		types = append(types, fmt.Sprint(it))
	}
	return fmt.Sprintf("%s, %v-%v vCPUs", strings.Join(types, ", "), prop(cr, "MinvCpus"), prop(cr, "MaxvCpus"))
}

func jobSize(p map[string]any) string {
	var rs []string
	for _, r := range list(prop(p, "ContainerProperties", "ResourceRequirements")) {
		switch str(r, "Type") {
		case "VCPU":
			rs = append(rs, str(r, "Value")+" vCPU")
		case "GPU":
			rs = append(rs, str(r, "Value")+" GPU")
		case "MEMORY":
			rs = append(rs, str(r, "Value")+" MiB")
		}
	}
	return strings.Join(rs, ", ")
}

func bucketAccess(p map[string]any) string {
	if prop(p, "PublicAccessBlockConfiguration", "BlockPublicPolicy") == true {
		return "private"
	}
	return ""
}

func functionSize(p map[string]any) string {
	var arch []string
	for _, a := range list(p["Architectures"]) {
		arch = append(arch, fmt.Sprint(a))
	}
	return fmt.Sprintf("%s, %s, %v MB", str(p, "Runtime"), strings.Join(arch, ","), p["MemorySize"])
}
