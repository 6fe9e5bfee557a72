"""The Backline stack from Python: the dev stack's values, the access key from this stack's secret config."""
import pulumi
import pulumi_backline as backline

config = pulumi.Config()
stack = backline.BacklineStack(
    "backline",
    base_url="https://staging-app.backline.ai",
    access_key=config.require_secret("accessKey"),
    logging={"region": "us-west-1", "role_arn": "arn:aws:iam::123456789012:role/YourOtelRole"},
)
pulumi.export("namespace", stack.namespace)
pulumi.export("workerDeployment", stack.worker_deployment)
