"""moto's own server (`python3 -m moto.server`), unchanged except for one thing.

moto's SNS backend keeps an SMS `Publish` as `SMS(message_id, phone_number, message)` and
drops the message attributes it parsed and validated. This wrapper keeps them: after
moto's `SNSBackend.publish` returns, the attributes moto passed to it (transformed by
moto's own `_transform_message_attributes`, e.g. `{"AWS.SNS.SMS.SMSType": {"Type":
"String", "Value": "Transactional"}}`) are stored on that SMS object, so
`/moto-api/data.json` shows them under `sns.SMS[].message_attributes`. Signature checking,
parsing and validation are all moto's.

Usage: python3 server.py [moto.server arguments], e.g. `-H 127.0.0.1 -p 5055`.
"""

import sys

from moto.server import main
from moto.sns.models import SNSBackend

_publish = SNSBackend.publish


def publish(self, message, arn, phone_number=None, subject=None, message_attributes=None, **rest):
    message_id = _publish(
        self, message, arn, phone_number, subject, message_attributes, **rest
    )
    sms = self.sms_message_objects.get(message_id)
    if sms is not None:
        sms.message_attributes = message_attributes or {}
    return message_id


SNSBackend.publish = publish

if __name__ == "__main__":
    main(sys.argv[1:])
