{#-
    dim_users v1 (deprecated, see _core__models.yml): v2 plus the e-mail address v2 dropped. No
    second copy of v2's logic: a consumer pinned to v1 gets the same rows and numbers.
-#}
with

users_v2 as (

    select * from {{ ref('dim_users', v=2) }}

),

users as (

    select * from {{ ref('stg_app__users') }}

),

final as (

    select
        users_v2.*,
        users.email
    from users_v2
    left join users on users_v2.user_id = users.user_id

)

-- v1 is v2's columns plus email by definition; the contract lists all 18 (AM04 cannot see them)
select * from final  -- noqa: AM04
