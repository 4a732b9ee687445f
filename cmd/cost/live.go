package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	pricingtypes "github.com/aws/aws-sdk-go-v2/service/pricing/types"

	"github.com/intro-aws-go/intro-aws-go/internal/awsenv"
)

// livePrices replaces the table's EC2 instance prices with the Price List API's, for
// the instance types the stacks use. The API lives in us-east-1 whatever the region.
func livePrices(ctx context.Context, profile string, p regionPrices, types []string) (regionPrices, error) {
	cfg, err := awsenv.Load(ctx, awsenv.Options{Region: "us-east-1", Profile: profile})
	if err != nil {
		return p, fmt.Errorf("--live needs AWS credentials: %v", err)
	}
	client := pricing.NewFromConfig(cfg)
	p.EC2Hourly = maps.Clone(p.EC2Hourly)
	for _, t := range types {
		price, err := ec2OnDemandPrice(ctx, client, p.Name, t)
		if err != nil {
			return p, err
		}
		p.EC2Hourly[t] = price
	}
	return p, nil
}

func ec2OnDemandPrice(ctx context.Context, client *pricing.Client, location, instanceType string) (float64, error) {
	term := func(field, value string) pricingtypes.Filter {
		return pricingtypes.Filter{Type: pricingtypes.FilterTypeTermMatch, Field: aws.String(field), Value: aws.String(value)}
	}
	out, err := client.GetProducts(ctx, &pricing.GetProductsInput{
		ServiceCode: aws.String("AmazonEC2"),
		Filters: []pricingtypes.Filter{
			term("instanceType", instanceType), term("location", location), term("operatingSystem", "Linux"),
			term("tenancy", "Shared"), term("preInstalledSw", "NA"), term("capacitystatus", "Used"),
		},
		MaxResults: aws.Int32(10),
	})
	if err != nil {
		return 0, awsenv.Explain("pricing:GetProducts", err)
	}
	for _, raw := range out.PriceList {
		var product struct {
			Terms struct {
				OnDemand map[string]struct {
					PriceDimensions map[string]struct {
						Unit         string            `json:"unit"`
						PricePerUnit map[string]string `json:"pricePerUnit"`
					} `json:"priceDimensions"`
				} `json:"OnDemand"`
			} `json:"terms"`
		}
		if err := json.Unmarshal([]byte(raw), &product); err != nil {
			return 0, fmt.Errorf("pricing:GetProducts answered a product that is not JSON: %v", err)
		}
		for _, offer := range product.Terms.OnDemand {
			for _, dim := range offer.PriceDimensions {
				if dim.Unit != "Hrs" {
					continue
				}
				if v, err := strconv.ParseFloat(dim.PricePerUnit["USD"], 64); err == nil && v > 0 {
					return v, nil
				}
			}
		}
	}
	return 0, fmt.Errorf("the Price List API has no Linux on-demand price for %s in %s", instanceType, location)
}
