package diagrams

import "github.com/intro-aws-go/intro-aws-go/internal/handsons"

// HandsOn is one figure: the stacks of a hands-on, and what the template cannot say
// (who uses it from the learner's machine, and the few links that the course adds).
type HandsOn struct {
	File   string   // docs/diagrams/<File>.dot and .svg
	Title  string   // the figure's caption
	Stacks []string // drawn side by side in one figure
	Client string   // what the learner runs on their own machine
	Links  []Link
}

// Link is an edge that is not in the templates. From and To name a node: "client", "igw"
// (the stack's internet gateway), "ssm" (the stack's SSM parameters) or a CloudFormation
// resource type (every drawn resource of that type). A link whose end is missing from
// the synthesized app fails the build: the figure would promise something the app does
// not deploy.
type Link struct {
	From, To, Label string
}

// HandsOns are the figures, in course order.
var HandsOns = []HandsOn{
	{
		File: "handson1-myfirstec2", Title: "Hands-on #1: MyFirstEc2",
		Stacks: []string{handsons.MyFirstEc2},
		Client: "Your computer\nssh / aws ssm start-session",
		Links: []Link{
			{"client", "igw", "Session Manager,\nor SSH with -c ssh_cidr"},
		},
	},
	{
		File: "handson2-ec2fordl", Title: "Hands-on #2: Ec2ForDl",
		Stacks: []string{handsons.Ec2ForDl},
		Client: "Your computer\nbrowser on localhost:8931\n(Session Manager port forwarding)",
		Links: []Link{
			{"client", "igw", "Jupyter :8888 through\nSession Manager"},
		},
	},
	{
		File: "handson3-ecsclusterqabot", Title: "Hands-on #3: EcsClusterQaBot",
		Stacks: []string{handsons.EcsClusterQaBot},
		Client: "Your computer\ngo run ./cmd/runtask",
		Links: []Link{
			{"client", "ssm", "1. reads the names"},
			{"client", "AWS::DynamoDB::Table", "2. puts the question\n5. reads the answer"},
			{"client", "AWS::ECS::Cluster", "3. RunTask(item_id)"},
			{"AWS::ECS::Cluster", "AWS::ECS::TaskDefinition", "4. runs one task"},
			{"client", "AWS::Logs::LogGroup", "last log lines\nwhen a task fails"},
		},
	},
	{
		File: "handson4-simplebatch", Title: "Hands-on #4: SimpleBatch",
		Stacks: []string{handsons.SimpleBatch},
		Client: "Your computer\ngo run ./cmd/sweep",
		Links: []Link{
			{"client", "ssm", "1. reads the names"},
			{"client", "AWS::Batch::JobQueue", "2. SubmitJob × grid\n(lr × momentum)"},
			{"AWS::Batch::ComputeEnvironment", "AWS::Batch::JobDefinition", "3. runs each job's\ncontainer on a GPU"},
			{"client", "AWS::S3::Bucket", "4. downloads\nthe metrics"},
		},
	},
	{
		File: "handson5-serverless", Title: "Hands-on #5: SimpleLambda, SimpleDynamoDb, SimpleS3",
		Stacks: []string{handsons.SimpleLambda, handsons.SimpleDynamoDb, handsons.SimpleS3},
		Client: "Your computer\ngo run ./cmd/serverless",
		Links: []Link{
			{"client", "AWS::Lambda::Function", "invoke, invoke-many"},
			{"client", "AWS::DynamoDB::Table", "write, read,\nbatch-write"},
			{"client", "AWS::S3::Bucket", "upload, download"},
		},
	},
	{
		File: "handson6-bashoutter", Title: "Hands-on #6: Bashoutter",
		Stacks: []string{handsons.Bashoutter},
		Client: "Your computer\nbrowser, go run ./cmd/bashoutter",
		Links: []Link{
			{"client", "AWS::CloudFront::Distribution", "HTTPS: the web page"},
			{"client", "AWS::ApiGatewayV2::Api", "HTTPS: /haiku"},
		},
	},
}
