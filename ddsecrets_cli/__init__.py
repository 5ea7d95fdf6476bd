"""``ddsecrets``: the operator's command for stacks built with ddsecrets-constructs.

A separate top-level package, not ``ddsecrets_constructs.cli``: importing any submodule of
``ddsecrets_constructs`` runs that package's ``__init__``, which loads ``aws_cdk`` and starts a jsii
Node.js process (about 1.5 s here) that none of these commands needs. The constructs never import
this package; its dependencies (``datadog-api-client``, ``boto3``) come with the ``[cli]`` extra.
"""
