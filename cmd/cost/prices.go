package main

// The embedded price table. Source: the public pricing pages of each service
// (aws.amazon.com/ec2/pricing/on-demand, /ebs/pricing, /vpc/pricing (public IPv4),
// /fargate/pricing, /lambda/pricing, /dynamodb/pricing/on-demand, /s3/pricing,
// /api-gateway/pricing, /cloudfront/pricing, /cloudwatch/pricing, /ecr/pricing,
// /sqs/pricing), list prices in USD without free tier, read for 2026-11.
// `go run ./cmd/cost --live` replaces the EC2 instance prices, which dominate every
// GPU hands-on, with the AWS Price List API's current values.
const priceTableDate = "2026-11"

// regionPrices are one region's unit prices in USD.
type regionPrices struct {
	Name string // the Price List API's location name

	EC2Hourly        map[string]float64 // Linux on-demand, per instance-hour
	GP3GBMonth       float64            // EBS gp3 storage
	PublicIPv4Hourly float64            // per in-use public IPv4 address
	AlarmMonthly     float64            // standard-resolution metric alarm

	FargateVCPUHour, FargateGBHour       float64 // Linux/x86_64
	FargateArmVCPUHour, FargateArmGBHour float64 // Linux/ARM64
	FargateSpotDiscount                  float64 // typical, varies

	LambdaPerMillion    float64 // requests
	LambdaGBSecond      float64 // x86_64
	LambdaArmGBSecond   float64 // arm64
	DynamoWRUPerMillion float64 // on-demand write request units
	DynamoRRUPerMillion float64 // on-demand read request units
	DynamoGBMonth       float64
	S3GBMonth           float64 // Standard
	S3PutPer1000        float64
	S3GetPer1000        float64
	HTTPAPIPerMillion   float64 // API Gateway HTTP APIs, first 300 million
	CloudFrontGB        float64 // data out, first 10 TB, this region's edge
	CloudFrontPer10k    float64 // HTTPS requests
	LogsIngestGB        float64
	LogsStoreGBMonth    float64
	ECRGBMonth          float64
	SQSPerMillion       float64
}

var priceTable = map[string]regionPrices{
	"ap-northeast-1": {
		Name: "Asia Pacific (Tokyo)",
		EC2Hourly: map[string]float64{
			"t3.micro": 0.0136, "t3.small": 0.0272, "t3.medium": 0.0544, "t3.large": 0.1088,
			"t4g.micro": 0.0108, "t4g.small": 0.0216, "t4g.medium": 0.0432,
			"m5.large": 0.124, "m5.xlarge": 0.248, "c5.xlarge": 0.214,
			"g4dn.xlarge": 0.71, "g4dn.2xlarge": 1.015, "g5.xlarge": 1.459,
		},
		GP3GBMonth: 0.096, PublicIPv4Hourly: 0.005, AlarmMonthly: 0.10,
		FargateVCPUHour: 0.05056, FargateGBHour: 0.00553,
		FargateArmVCPUHour: 0.04045, FargateArmGBHour: 0.00442, FargateSpotDiscount: 0.7,
		LambdaPerMillion: 0.20, LambdaGBSecond: 0.0000166667, LambdaArmGBSecond: 0.0000133334,
		DynamoWRUPerMillion: 0.715, DynamoRRUPerMillion: 0.1425, DynamoGBMonth: 0.285,
		S3GBMonth: 0.025, S3PutPer1000: 0.0047, S3GetPer1000: 0.00037,
		HTTPAPIPerMillion: 1.29, CloudFrontGB: 0.114, CloudFrontPer10k: 0.012,
		LogsIngestGB: 0.76, LogsStoreGBMonth: 0.033, ECRGBMonth: 0.10, SQSPerMillion: 0.40,
	},
	"us-east-1": {
		Name: "US East (N. Virginia)",
		EC2Hourly: map[string]float64{
			"t3.micro": 0.0104, "t3.small": 0.0208, "t3.medium": 0.0416, "t3.large": 0.0832,
			"t4g.micro": 0.0084, "t4g.small": 0.0168, "t4g.medium": 0.0336,
			"m5.large": 0.096, "m5.xlarge": 0.192, "c5.xlarge": 0.17,
			"g4dn.xlarge": 0.526, "g4dn.2xlarge": 0.752, "g5.xlarge": 1.006,
		},
		GP3GBMonth: 0.08, PublicIPv4Hourly: 0.005, AlarmMonthly: 0.10,
		FargateVCPUHour: 0.04048, FargateGBHour: 0.004445,
		FargateArmVCPUHour: 0.03238, FargateArmGBHour: 0.00356, FargateSpotDiscount: 0.7,
		LambdaPerMillion: 0.20, LambdaGBSecond: 0.0000166667, LambdaArmGBSecond: 0.0000133334,
		DynamoWRUPerMillion: 0.625, DynamoRRUPerMillion: 0.125, DynamoGBMonth: 0.25,
		S3GBMonth: 0.023, S3PutPer1000: 0.005, S3GetPer1000: 0.0004,
		HTTPAPIPerMillion: 1.00, CloudFrontGB: 0.085, CloudFrontPer10k: 0.01,
		LogsIngestGB: 0.50, LogsStoreGBMonth: 0.03, ECRGBMonth: 0.10, SQSPerMillion: 0.40,
	},
}

// hoursPerMonth is AWS's billing month (365 × 24 / 12).
const hoursPerMonth = 730

// Assumptions where a template cannot say: the size of an image's root volume when the
// stack keeps the image's own size (Ec2ForDl), and the size of each hands-on's
// container image in the CDK bootstrap repository (compressed, as ECR stores it).
const assumedImageRootGiB = 100

var assumedContainerImageGB = map[string]float64{
	"EcsClusterQaBot": 0.12, // handson/qabot: distroless + worker + ONNX Runtime + int8 model
	"SimpleBatch":     3.0,  // handson/simplebatch: python + CUDA PyTorch wheels + MNIST
}
