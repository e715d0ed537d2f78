"""IAM set-up for the moto SNS test (tests/it/sns_moto.rs).

The moto server runs with INITIAL_NO_AUTH_ACTION_COUNT=3: its first three AWS actions go
unauthenticated, every later one must carry a SigV4 signature made with an access key that
exists in moto and a policy that allows the action. These three actions are exactly those:
create a user, give it an inline policy allowing sns:Publish, create its access key.

Usage: python3 setup_iam.py http://127.0.0.1:PORT
Prints one line: `<access key id> <secret access key>`.
"""

import json
import sys

import boto3

endpoint = sys.argv[1]
iam = boto3.client(
    "iam",
    endpoint_url=endpoint,
    region_name="us-east-1",
    # Unauthenticated phase: any credentials do, none is checked.
    aws_access_key_id="AKIDSETUP",
    aws_secret_access_key="setup",
)
iam.create_user(UserName="smsgate")  # action 1
iam.put_user_policy(  # action 2
    UserName="smsgate",
    PolicyName="publish-sms",
    PolicyDocument=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sns:Publish", "Resource": "*"}],
        }
    ),
)
key = iam.create_access_key(UserName="smsgate")["AccessKey"]  # action 3
print(key["AccessKeyId"], key["SecretAccessKey"])
