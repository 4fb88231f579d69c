aws_region     = "{{ region }}"
aws_account_id = "{{ account_id }}"
cicd_role_name = "{{ cicd_role_name }}"
