"""Stand-ins in moto for resources that moto's CloudFormation cannot create (it has no
support for AWS::CloudFront::Distribution nor AWS::ApiGatewayV2::Api), made with moto's
own APIs so that what refers to them gets real values.

    python3 standin.py create-distribution COMMENT   -> prints "ID DOMAIN"
    python3 standin.py delete-distribution ID
    python3 standin.py create-api NAME                -> prints "ID ENDPOINT"
    python3 standin.py delete-api ID

boto3 is moto's own dependency; the endpoint comes from AWS_ENDPOINT_URL.
"""
import sys
import uuid

import boto3

action = sys.argv[1]
if action == "create-distribution":
    d = boto3.client("cloudfront").create_distribution(DistributionConfig={
        "CallerReference": str(uuid.uuid4()), "Comment": sys.argv[2], "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "site", "DomainName": "site.s3.us-east-1.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
    })["Distribution"]
    print(d["Id"], d["DomainName"])
elif action == "delete-distribution":
    cf = boto3.client("cloudfront")
    cf.delete_distribution(Id=sys.argv[2], IfMatch=cf.get_distribution(Id=sys.argv[2])["ETag"])
elif action == "create-api":
    api = boto3.client("apigatewayv2").create_api(Name=sys.argv[2], ProtocolType="HTTP")
    print(api["ApiId"], api["ApiEndpoint"])
elif action == "delete-api":
    boto3.client("apigatewayv2").delete_api(ApiId=sys.argv[2])
else:
    sys.exit("unknown action " + action)
