package main

import "fmt"

// examplesFor works out what the README's own steps cost, from the template's sizes
// and the region's prices.
func examplesFor(stack string, t template, p regionPrices, e estimate) []example {
	switch stack {
	case "MyFirstEc2":
		return []example{
			{"the hands-on", "one hour: deploy, log in, look around, destroy", e.Hourly},
			{"forgotten for a month", "deployed and never stopped or destroyed", e.Idle},
		}
	case "Ec2ForDl":
		return []example{
			{"the notebook", "one hour of the instance running Jupyter (on-demand)", e.Hourly},
			{"forgotten for a month", "after an idle hour the instance stops itself; the disk and the alarm stay", e.Idle + e.Hourly},
		}
	case "EcsClusterQaBot":
		// A task starts in about 30-60 s and answers in under a second: Fargate bills
		// from the image pull to the stop, at least one minute, and the task's public
		// IPv4 address bills while it runs. Three writes and a read per question.
		task := fargateTaskHour(t, p) + p.PublicIPv4Hourly
		n := float64(defaultProblems)
		one := task/60 + 3*p.DynamoWRUPerMillion/1e6 + p.DynamoRRUPerMillion/1e6
		many := task*2/60 + 3*n*p.DynamoWRUPerMillion/1e6 + n*p.DynamoRRUPerMillion/1e6
		return []example{
			{"one `ask`", "one task for about a minute with its public IPv4, three table writes and a read", one},
			{fmt.Sprintf("`ask-many` (the %d default problems)", defaultProblems), "one task for about two minutes answering them all", many},
		}
	case "SimpleBatch":
		price := p.EC2Hourly["g4dn.xlarge"] + p.PublicIPv4Hourly
		return []example{{"the default sweep", "3 × 3 grid, 20 epochs each: about 2.5 g4dn.xlarge instance-hours including boot", 2.5 * price}}
	case "SimpleLambda":
		mem := lambdaMemoryGB(t)
		per := p.LambdaPerMillion/1e6 + 3.5*mem*p.LambdaArmGBSecond
		return []example{{"`invoke-many 100`", fmt.Sprintf("100 invocations of about 3.5 s at %g MB", mem*1024), 100 * per}}
	case "SimpleDynamoDb":
		return []example{{"`batch-write 1000` and read them all", "1,000 writes and a scan of 1,000 small items", 1000*p.DynamoWRUPerMillion/1e6 + 125*p.DynamoRRUPerMillion/1e6}}
	case "SimpleS3":
		return []example{{"upload and download a 10 MB file", "one PUT, one GET, 10 MB stored for a day", p.S3PutPer1000/1000 + p.S3GetPer1000/1000 + 0.01*p.S3GBMonth/30}}
	case "Bashoutter":
		mem := lambdaMemoryGB(t)
		call := p.HTTPAPIPerMillion/1e6 + p.LambdaPerMillion/1e6 + 0.05*mem*p.LambdaArmGBSecond
		return []example{{"`post-many 300` and 100 page views", "400 API calls of about 50 ms, 300 writes, 100 reads of a page of items; CloudFront within its free tier",
			400*call + 300*p.DynamoWRUPerMillion/1e6 + 100*25*p.DynamoRRUPerMillion/1e6}}
	}
	return nil
}

// defaultProblems is how many questions `runtask ask-many` asks without a file: the
// entries of cmd/runtask/problems.json (a test keeps them equal).
const defaultProblems = 10

// fargateTaskHour is the per-hour price of the template's (only) task definition.
func fargateTaskHour(t template, p regionPrices) float64 {
	for _, r := range t.Resources {
		if r.Type == "AWS::ECS::TaskDefinition" {
			perHour, _ := fargateTaskPrice(r.Properties, p)
			return perHour
		}
	}
	return 0
}

// lambdaMemoryGB is the memory of the template's first function that is not a CDK helper.
func lambdaMemoryGB(t template) float64 {
	for id, r := range t.Resources {
		if r.Type == "AWS::Lambda::Function" && !isCDKHelper(id, r.Properties) {
			return num(r.Properties["MemorySize"], 128) / 1024
		}
	}
	return 0.125
}
