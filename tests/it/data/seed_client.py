# The "Python Client" usage example of shared/seeds/004_*.txt ("SMS Gateway API"), run by
# tests/it/seed_client.rs against a real `smsgate serve` on the simulator.
#
# Copied from the seed with only these edits, everything else is the seed's text:
#   1. the base URL: "http://localhost:8000" -> BASE_URL, read from the SMSGATE_BASE_URL
#      environment variable (these three lines, and `import os`, are added);
#   2. the phone numbers: "+1234567890" -> "+4915112345678" (the seed's number is not a
#      valid number, and smsgate validates numbers with libphonenumber).
import os

BASE_URL = os.environ["SMSGATE_BASE_URL"]

import requests
import json

# Send a simple SMS
sms_data = {
    "to": [
        {
            "number": "+4915112345678",
            "name": "John Doe"
        }
    ],
    "message": "Hello! This is a test message from our API.",
    "sms_type": "transactional",
    "provider": "twilio"
}

response = requests.post(
    BASE_URL + "/api/sms/send",
    json=sms_data
)

if response.status_code == 200:
    result = response.json()
    print(f"SMS sent with batch ID: {result['batch_id']}")

# Generate OTP
otp_data = {
    "phone_number": {
        "number": "+4915112345678",
        "name": "John Doe"
    },
    "length": 6,
    "expiry_minutes": 5
}

otp_response = requests.post(
    BASE_URL + "/api/otp/generate",
    json=otp_data
)

print(f"OTP generated: {otp_response.json()}")

# Verify OTP
verify_data = {
    "phone_number": {
        "number": "+4915112345678"
    },
    "otp_code": "123456"
}

verify_response = requests.post(
    BASE_URL + "/api/otp/verify",
    json=verify_data
)

print(f"OTP verification: {verify_response.json()}")
