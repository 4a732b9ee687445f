"""Runs a CDK custom-resource handler written for Lambda's Python runtime, unchanged.

    python3 run_python_handler.py ASSET_DIR LAYER_DIR EVENT_JSON

Lambda unpacks the AwsCliLayer asset at /opt and runs its CLI as /opt/awscli/aws with
the runtime's Python (the script's first line is #!/var/lang/bin/python). Neither path
exists here, so exactly that one command is sent to the unpacked layer, run by this
Python. Everything else (the handler, boto3, the layer's CLI and botocore) is as
shipped; the AWS endpoint comes from AWS_ENDPOINT_URL.
"""
import json
import subprocess
import sys

asset_dir, layer_dir, event_path = sys.argv[1:4]
_check_call = subprocess.check_call


def check_call(args, *rest, **kwargs):
    if args and args[0] == "/opt/awscli/aws":
        args = [sys.executable, layer_dir + "/awscli/aws"] + list(args[1:])
    return _check_call(args, *rest, **kwargs)


subprocess.check_call = check_call
sys.path.insert(0, asset_dir)
import index  # noqa: E402  (the asset's index.py)


class Context:
    log_stream_name = "2026/11/30/[$LATEST]lifecycle"
    function_name = "handler"
    aws_request_id = "lifecycle"


with open(event_path) as f:
    index.handler(json.load(f), Context())
