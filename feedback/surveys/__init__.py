"""Surveys: builder, versions, questions, responses and the mobile respondent flow."""
