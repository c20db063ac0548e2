{#
    dbt's `relationships` test, judged only once the parent has a row: every non-null value of
    the column must exist in `to`.`field`. While the parent model is empty (its source table
    never delivered a row) a reference cannot be told from a source not connected yet, so nothing
    fails — the same rule as the loader, which checks a foreign key only once its parent entity
    was delivered (DECISIONLOG.md, "Partial worlds").

    data_tests:
      - relationships_where_parent_delivered:
          arguments:
            to: ref('stg_crm__csms')
            field: csm_id
#}
{% test relationships_where_parent_delivered(model, column_name, to, field) %}

with

child as (

    select {{ column_name }} as from_field
    from {{ model }}
    where {{ column_name }} is not null

),

parent as (

    select {{ field }} as to_field
    from {{ to }}

),

parent_size as (

    select count(*) as parent_rows
    from parent

)

select child.from_field
from child
cross join parent_size
left join parent
    on child.from_field = parent.to_field
where parent.to_field is null and parent_size.parent_rows > 0

{% endtest %}
