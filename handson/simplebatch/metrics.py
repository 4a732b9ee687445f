"""What a SimpleBatch job writes, and where: the metrics file of one grid point.

Kept free of PyTorch so it can be tested anywhere. The Go client
(internal/simplebatch) follows the same naming rules; a test runs both and compares.
"""

import argparse
import csv
import os

# Decimals of lr and momentum kept in the file name, as in the course's
# metrics_lr0.1000_m0.5000.csv.
DECIMALS = 4
COLUMNS = ("epoch", "train_loss", "val_loss", "val_accuracy")


def metrics_key(lr, momentum):
    """The S3 key (and local file name) of one grid point's metrics."""
    return f"metrics_lr{lr:.{DECIMALS}f}_m{momentum:.{DECIMALS}f}.csv"


def parse_bool(text):
    """A strict boolean for argparse: the course's type=bool took any string,
    even "false", as True."""
    value = str(text).strip().lower()
    if value in ("true", "yes", "1", "on"):
        return True
    if value in ("false", "no", "0", "off"):
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not true or false")


def grid_value(name, low, high):
    """An argparse type for lr and momentum: a number in [low, high) that the file
    name's 4 decimals keep unchanged, so two grid points never share a file."""

    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} {text!r} is not a number") from None
        if not low <= value < high:
            raise argparse.ArgumentTypeError(f"{name} {text} must be at least {low} and below {high}")
        if abs(round(value, DECIMALS) - value) > 1e-12:
            raise argparse.ArgumentTypeError(
                f"{name} {text}: the metrics file name keeps {DECIMALS} decimals; use a multiple of 0.0001")
        return value

    return parse


def write_csv(rows, path):
    """Writes rows of (epoch, train_loss, val_loss, val_accuracy) with a header."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for epoch, train_loss, val_loss, val_accuracy in rows:
            writer.writerow([epoch, f"{train_loss:.6f}", f"{val_loss:.6f}", f"{val_accuracy:.4f}"])


def bucket_from_env():
    """The results bucket, set by the job definition; a clear error without it."""
    bucket = os.environ.get("BUCKET_NAME", "").strip()
    if not bucket:
        raise SystemExit("error: --uploadS3 true needs the BUCKET_NAME environment variable "
                         "(the SimpleBatch job definition sets it)")
    return bucket


def upload(path, bucket, key, client=None):
    """Uploads the metrics file to s3://bucket/key (the job role may do exactly this)."""
    if client is None:
        import boto3  # only the container needs it

        client = boto3.client("s3")
    client.upload_file(path, bucket, key, ExtraArgs={"ContentType": "text/csv"})
