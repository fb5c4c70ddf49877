"""make run's KMS: a moto server on a free loopback port that encrypts the JWT signing keys, as
the stack's KMS key does on AWS. `tokenctl` finds it through the signing settings in the registry
table (which name its endpoint), so it needs nothing but AWS_ENDPOINT_URL_DYNAMODB."""

import logging

from localrun.launch import free_port

HOST = "127.0.0.1"


class LocalKms:
    def __init__(self):
        self.server = None
        self.endpoint = ""
        self.key_id = ""

    def start(self) -> "LocalKms":
        import botocore.session
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        port = free_port()
        self.server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
        self.server.start()
        self.endpoint = f"http://{HOST}:{port}"
        session = botocore.session.get_session()
        if session.get_credentials() is None:
            session.set_credentials("local", "local")
        client = session.create_client("kms", region_name="us-east-1", endpoint_url=self.endpoint)
        self.key_id = client.create_key(Description="make run: encrypts the JWT signing keys")["KeyMetadata"][
            "Arn"
        ]
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
