// Command trivial is the baseline of the Lambda benchmarks: an aws-lambda-go function
// that does nothing, built with the same flags as the real ones.
package main

import "github.com/aws/aws-lambda-go/lambda"

func main() {
	lambda.Start(func() (string, error) { return "ok", nil })
}
